// Drives an MCP server over stdio with the official TypeScript SDK and prints what it saw
// as one JSON object on stdout (diagnostics go to stderr).
//
//   node e2e/mcp-sdk-client.mjs <server-command> [args...]
//
// The server inherits this process's environment (MISSIOND_HOME and friends). The script:
// initialises, lists tools, calls every tool named in MCP_SDK_CALLS (a JSON array of
// {"name": ..., "arguments": {...}}; default: mission_health), and calls a tool that does
// not exist. The SDK validates each structuredContent against the tool's outputSchema, so a
// result that does not match its schema shows up as an error here.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: node mcp-sdk-client.mjs <server-command> [args...]");
  process.exit(2);
}
const calls = JSON.parse(
  process.env.MCP_SDK_CALLS ?? '[{"name": "mission_health", "arguments": {}}]',
);

const describeError = (e) => ({ code: e?.code ?? null, message: String(e?.message ?? e) });

const transport = new StdioClientTransport({
  command,
  args,
  env: { ...process.env },
  stderr: "inherit",
});
const client = new Client({ name: "missiond-e2e-ts-client", version: "1.0.0" });
const out = {};
try {
  await client.connect(transport);
  out.serverVersion = client.getServerVersion() ?? null;
  out.protocolVersion = transport.protocolVersion ?? null;
  out.capabilities = client.getServerCapabilities() ?? null;
  out.instructions = client.getInstructions() ?? null;

  const { tools } = await client.listTools();
  out.tools = tools.map((t) => ({
    name: t.name,
    title: t.title ?? null,
    annotations: t.annotations ?? null,
    hasOutputSchema: Boolean(t.outputSchema),
    inputSchemaType: t.inputSchema?.type ?? null,
  }));

  out.calls = [];
  for (const call of calls) {
    try {
      const result = await client.callTool({ name: call.name, arguments: call.arguments ?? {} });
      out.calls.push({
        name: call.name,
        isError: result.isError ?? false,
        text: (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n"),
        structuredContent: result.structuredContent ?? null,
      });
    } catch (e) {
      out.calls.push({ name: call.name, error: describeError(e) });
    }
  }

  try {
    await client.callTool({ name: "mission_no_such_tool", arguments: {} });
    out.unknownTool = { error: null };
  } catch (e) {
    out.unknownTool = { error: describeError(e) };
  }
} catch (e) {
  out.fatal = describeError(e);
} finally {
  await client.close().catch(() => {});
}
console.log(JSON.stringify(out));

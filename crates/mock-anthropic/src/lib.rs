//! A scripted Anthropic Messages API server.

//! napi-build sets the linker flags a Node addon needs (undefined symbols resolved by
//! the loading `node` process on macOS; nothing to do on Linux).
fn main() {
    napi_build::setup();
}

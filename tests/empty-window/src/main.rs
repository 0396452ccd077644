//! An empty Tauri 2 window: what WebKit and Tauri cost before the app adds anything. The desktop
//! benchmark (`tests/benches/desktop.rs`) measures it beside Confab in the same run.

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the empty window failed to run");
}

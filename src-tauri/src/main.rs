// Keep a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Answered before any window or GTK starts, so they work without a display too.
    match std::env::args().nth(1).as_deref() {
        Some("--version" | "-V") => println!("confab {}", env!("CARGO_PKG_VERSION")),
        Some("--help" | "-h") => println!(
            "Confab {}: a desktop chat app for the language models you run yourself.\n\n\
             Usage: confab [--version | --help]\n\n\
             Environment: CONFAB_DATA_DIR (where the chats live), CONFAB_LOG (log filter, e.g. \
             debug).\nFrom a terminal, use confab-cli.",
            env!("CARGO_PKG_VERSION")
        ),
        _ => confab_app::run(),
    }
}

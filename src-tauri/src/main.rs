// Keep a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Answered before any window or GTK starts, so they work without a display too.
    match std::env::args().nth(1).as_deref() {
        Some("--version" | "-V") => println!("confab {}", env!("CARGO_PKG_VERSION")),
        Some("--help" | "-h") => print!("{}", help()),
        _ => confab_app::run(),
    }
}

/// What `confab --help` prints; `man confab` says the same at more length.
fn help() -> String {
    let mut text = format!(
        "Confab {}: a desktop chat app for the language models you run yourself.\n\n\
         Usage: confab [--version | --help]\n\n\
         Options:\n  -h, --help     Print this help\n  -V, --version  Print the version\n\n\
         Environment:\n",
        env!("CARGO_PKG_VERSION")
    );
    for variable in confab_core::environment::VARIABLES {
        text.push_str(&format!("  {}\n", variable.name));
        // The meaning on lines of at most 80 columns, indented under the name.
        let mut line = String::new();
        for word in variable.meaning.split_whitespace() {
            if !line.is_empty() && 6 + line.len() + 1 + word.len() > 80 {
                text.push_str(&format!("      {line}\n"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        text.push_str(&format!("      {line}\n"));
    }
    text.push_str("\nFrom a terminal, use confab-cli (man confab-cli).\n");
    text
}

// Declares the app's own commands so that capabilities can grant exactly these and nothing else.
fn main() {
    let commands = &[
        "list_conversations",
        "create_conversation",
        "get_conversation",
        "rename_conversation",
        "set_pinned",
        "delete_conversation",
        "list_messages",
        "send_message",
        "respond",
        "regenerate",
        "continue_reply",
        "edit_and_resend",
        "select_version",
        "list_versions",
        "stop_reply",
        "streaming_conversations",
        "open_link",
        "get_endpoint",
        "set_endpoint",
        "list_models",
        "find_servers",
        "get_settings",
        "set_message_pinned",
        "save_settings",
        "set_api_key",
        "get_chat_options",
        "save_chat_options",
        "export_conversation",
        "choose_import",
        "confirm_import",
        "cancel_import",
        "get_context",
        "edit_summary",
        "watch_updates",
        "load_image",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri-build failed");
}

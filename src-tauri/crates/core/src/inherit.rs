//! Where each of a chat's options comes from: the chat's own, else its project's default, else
//! the app's settings, else Confab's built-in default. The request builder, the title and the
//! summary take the merged chat from here, and the Options dialog and the command line show the
//! sources from here, so the app and `confab-cli` resolve a chat the same way.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::settings::{AppSettings, Strategy};
use crate::store::{
    Conversation, ConversationId, Project, ProjectDefaults, ProjectError, ProjectId, Store,
    StoreError,
};

/// Which layer an option's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OptionSource {
    Chat,
    Project,
    AppSettings,
    /// Nobody set it: Confab's default (for the model, the server's).
    BuiltIn,
}

/// An option's value and where it comes from, and what the chat would get without its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Resolved<T> {
    pub value: T,
    pub source: OptionSource,
    /// The value from the project or app settings (what clearing the chat's own gives).
    pub inherited: T,
    pub inherited_from: OptionSource,
}

/// The project a chat is in, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ProjectRef {
    pub id: ProjectId,
    pub name: String,
}

/// A chat's inheritable options, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ResolvedOptions {
    pub project: Option<ProjectRef>,
    pub system_prompt: Resolved<String>,
    pub model: Resolved<Option<String>>,
    pub temperature: Resolved<Option<f64>>,
    pub memory: Resolved<Strategy>,
}

/// The first layer that sets a value: `layers` from the chat down, `built_in` when none does.
fn resolve<T: Clone>(layers: [(OptionSource, Option<T>); 3], built_in: T) -> Resolved<T> {
    let [chat, rest @ ..] = layers;
    let (inherited_from, inherited) = rest
        .into_iter()
        .find_map(|(source, value)| value.map(|v| (source, v)))
        .unwrap_or((OptionSource::BuiltIn, built_in));
    match chat.1 {
        Some(value) => Resolved {
            value,
            source: OptionSource::Chat,
            inherited,
            inherited_from,
        },
        None => Resolved {
            value: inherited.clone(),
            source: inherited_from,
            inherited,
            inherited_from,
        },
    }
}

fn non_blank(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.to_owned())
}

/// Resolves the chat's options over its project (if any) and the app's settings.
pub fn resolve_options(
    app: &AppSettings,
    project: Option<&Project>,
    conversation: &Conversation,
) -> ResolvedOptions {
    let none = ProjectDefaults::default();
    let defaults = project.map_or(&none, |p| &p.defaults);
    let temperature = conversation
        .params
        .get("temperature")
        .and_then(|v| v.as_f64());
    ResolvedOptions {
        project: project.map(|p| ProjectRef {
            id: p.id,
            name: p.name.clone(),
        }),
        system_prompt: resolve(
            [
                (OptionSource::Chat, non_blank(&conversation.system_prompt)),
                (
                    OptionSource::Project,
                    defaults.system_prompt.as_deref().and_then(non_blank),
                ),
                (OptionSource::AppSettings, non_blank(&app.system_prompt)),
            ],
            String::new(),
        ),
        model: resolve(
            [
                (OptionSource::Chat, conversation.model.clone().map(Some)),
                (OptionSource::Project, defaults.model.clone().map(Some)),
                (OptionSource::AppSettings, app.model.clone().map(Some)),
            ],
            None,
        ),
        temperature: resolve(
            [
                (OptionSource::Chat, temperature.map(Some)),
                (OptionSource::Project, defaults.temperature.map(Some)),
                (OptionSource::AppSettings, app.temperature.map(Some)),
            ],
            None,
        ),
        memory: resolve(
            [
                (OptionSource::Chat, Strategy::own(conversation)),
                (OptionSource::Project, defaults.memory),
                // The app's settings have no memory strategy of their own.
                (OptionSource::AppSettings, None),
            ],
            Strategy::default(),
        ),
    }
}

/// The chat with its project's defaults filled in where it sets nothing itself (the app's
/// settings come after, through [`AppSettings::apply_defaults`]).
pub fn with_project_defaults(
    conversation: &Conversation,
    defaults: &ProjectDefaults,
) -> Conversation {
    let mut c = conversation.clone();
    if c.model.is_none() {
        c.model = defaults.model.clone();
    }
    if c.system_prompt.trim().is_empty() {
        if let Some(prompt) = &defaults.system_prompt {
            c.system_prompt = prompt.clone();
        }
    }
    if let serde_json::Value::Object(params) = &mut c.params {
        if let Some(t) = defaults.temperature {
            params.entry("temperature").or_insert(t.into());
        }
        if let Some(m) = defaults.memory {
            params.entry("memory").or_insert(m.as_str().into());
        }
    }
    c
}

/// The chat's project, if it is in one. A project deleted since the chat was read counts as none.
pub async fn project_of(
    store: &Store,
    conversation: &Conversation,
) -> Result<Option<Project>, StoreError> {
    let Some(id) = conversation.project_id else {
        return Ok(None);
    };
    match store.get_project(id).await {
        Ok(project) => Ok(Some(project)),
        Err(ProjectError::Store(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The chat with its project's defaults filled in (see [`with_project_defaults`]).
pub async fn with_project(
    store: &Store,
    conversation: &Conversation,
) -> Result<Conversation, StoreError> {
    Ok(match project_of(store, conversation).await? {
        Some(project) => with_project_defaults(conversation, &project.defaults),
        None => conversation.clone(),
    })
}

/// The chat as a request sees it: its own options, then its project's, then the app's.
pub async fn effective(
    store: &Store,
    app: &AppSettings,
    conversation: &Conversation,
) -> Result<Conversation, StoreError> {
    Ok(app.apply_defaults(&with_project(store, conversation).await?))
}

/// The chat's options with their sources, as the Options dialog and `confab-cli` show them.
pub async fn options_of(store: &Store, id: ConversationId) -> Result<ResolvedOptions, StoreError> {
    let conversation = store.get_conversation(id).await?;
    let project = project_of(store, &conversation).await?;
    let app = AppSettings::load(store).await;
    Ok(resolve_options(&app, project.as_ref(), &conversation))
}

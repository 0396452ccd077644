//! Sending a message with files: the files are checked and, when there are images, the model is
//! asked whether it takes them — all before anything is saved, so a refusal leaves the chat as it
//! was. Then the message and its files are saved in one transaction and the reply streams as for
//! any message.

use std::sync::Arc;

use super::turn::Pending;
use super::{ChatError, ChatService, EventSink, Turn};
use crate::attachments::vision::{self, Vision, VisionSource};
use crate::attachments::{self, AttachError, AttachmentKind, Prepared, Upload};
use crate::settings::AppSettings;
use crate::store::{ConversationId, Message};

impl ChatService {
    /// [`ChatService::send`] with files attached (see [`attachments`]).
    pub async fn send_with_files(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        text: &str,
        files: Vec<Upload>,
        sink: &dyn EventSink,
    ) -> Result<Message, ChatError> {
        self.start_with_files(conversation_id, text, files)
            .await?
            .stream(sink)
            .await
    }

    /// [`ChatService::start`] with files: checks them (kind, size, and for images whether the
    /// model takes images), then saves the message with them in one transaction.
    pub async fn start_with_files(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        text: &str,
        files: Vec<Upload>,
    ) -> Result<Turn, ChatError> {
        let files = attachments::prepare_all(files)?;
        self.start_with_prepared(conversation_id, text, files).await
    }

    /// [`ChatService::start_with_files`] for files already checked ([`attachments::prepare`]),
    /// e.g. held by a front end while the user writes.
    pub async fn start_with_prepared(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        text: &str,
        files: Vec<Prepared>,
    ) -> Result<Turn, ChatError> {
        if files.len() > attachments::MAX_ATTACHMENTS {
            return Err(AttachError::TooMany.into());
        }
        if files.is_empty() {
            return self.start(conversation_id, Some(text)).await;
        }
        let mut turn = self.claim(conversation_id, Pending::Reply)?;
        let images: Vec<&Prepared> = files
            .iter()
            .filter(|f| f.kind == AttachmentKind::Image)
            .collect();
        if !images.is_empty() {
            let (model, seen) = self.model_vision(conversation_id).await?;
            if !seen.takes_images {
                return Err(no_vision(model, seen.source, &images).into());
            }
        }
        let content = attachments::compose(text, &files);
        let message = self
            .store
            .append_user_message_with_attachments(conversation_id, &content, &files)
            .await?;
        let title = if text.trim().is_empty() {
            files[0].name.as_str()
        } else {
            text
        };
        self.name_after_first_message(conversation_id, title)
            .await?;
        turn.user_message = Some(message);
        Ok(turn)
    }

    /// The model the conversation's next reply comes from (`None`: whatever the server has
    /// loaded) and whether it takes images.
    pub async fn model_vision(
        &self,
        conversation_id: ConversationId,
    ) -> Result<(Option<String>, Vision), ChatError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        let defaults = AppSettings::load(&self.store).await;
        let model = defaults.apply_defaults(&conversation).model;
        let client = self.client();
        let seen = vision::vision(&self.store, &client, model.as_deref()).await?;
        Ok((model, seen))
    }

    /// Records the user's word that the conversation's model does (or does not) take images, for
    /// servers that do not say.
    pub async fn set_model_vision(
        &self,
        conversation_id: ConversationId,
        takes_images: Option<bool>,
    ) -> Result<(), ChatError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        let defaults = AppSettings::load(&self.store).await;
        let model = defaults.apply_defaults(&conversation).model;
        let key = crate::memory::tokenizer_key(&self.client(), model.as_deref());
        Ok(self.store.set_model_vision(&key, takes_images).await?)
    }
}

fn no_vision(model: Option<String>, source: VisionSource, images: &[&Prepared]) -> AttachError {
    let names = images
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let (why, hint) = match source {
        VisionSource::Server => ("its server says so", ""),
        VisionSource::ModelSetting => ("as set for it", ""),
        VisionSource::Unknown => (
            "its server does not say that it does",
            "; if it does, say so: “This model takes images” in the app, or --vision in \
             confab-cli",
        ),
    };
    AttachError::NoVision {
        model: model.unwrap_or_else(|| "the loaded model".to_owned()),
        why: why.to_owned(),
        names,
        hint,
    }
}

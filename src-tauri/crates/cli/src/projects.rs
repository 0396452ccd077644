//! `confab-cli projects`: each project with its chat count and the defaults its chats inherit.

use anyhow::Result;
use confab_core::store::Store;

pub async fn list(store: &Store, json: bool) -> Result<()> {
    let projects = store.projects().await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&projects)?)?;
        return Ok(());
    }
    if projects.is_empty() {
        outln!("No projects yet. Start one with `confab-cli chat --project NAME`.")?;
        return Ok(());
    }
    for p in &projects {
        let chats = match p.chats {
            1 => "1 chat".to_owned(),
            n => format!("{n} chats"),
        };
        let d = &p.defaults;
        let mut defaults = Vec::new();
        if let Some(model) = &d.model {
            defaults.push(format!("model {model}"));
        }
        if let Some(t) = d.temperature {
            defaults.push(format!("temperature {t}"));
        }
        if let Some(m) = d.memory {
            defaults.push(format!("memory {}", m.as_str()));
        }
        if d.system_prompt.is_some() {
            defaults.push("system prompt".to_owned());
        }
        let defaults = if defaults.is_empty() {
            String::new()
        } else {
            format!(" ({})", defaults.join(", "))
        };
        outln!("{:>4}  {:<10}  {}{defaults}", p.id, chats, p.name)?;
    }
    Ok(())
}

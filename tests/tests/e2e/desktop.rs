//! The app as a desktop citizen: it opens where and as large as it was left, and a second launch
//! hands over to the running window instead of starting another app on the same chats.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use confab_tests::fantoccini::Locator;
use confab_tests::{app_binary, App, DataDir, Result, SessionBus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_is_remembered_and_a_second_launch_hands_over() -> Result<()> {
    let bus = SessionBus::start()?;
    let data = DataDir::new()?;
    let env = [("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];

    let app = App::launch_with_env(&data, &env).await?;
    app.resize(900, 700).await?;
    // Saved shortly after the window stops changing, not only on a clean exit.
    let state = data
        .path()
        .join("config/app.confab.desktop/.window-state.json");
    app.eventually("the window state to be saved", || async {
        let saved: serde_json::Value = std::fs::read(&state)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let size = (&saved["main"]["width"], &saved["main"]["height"]);
        Ok((size == (&900.into(), &700.into())).then_some(()))
    })
    .await?;
    app.quit().await?;

    let app = App::launch_with_env(&data, &env).await?;
    let (_, _, width, height) = app.client.get_window_rect().await?;
    assert_eq!(
        (width, height),
        (900, 700),
        "the window opens as large as it was left"
    );

    // A second launch on the same desktop session exits at once and leaves the first running.
    let started = Instant::now();
    let mut second = Command::new(app_binary()?)
        .env("CONFAB_DATA_DIR", data.path())
        .env("XDG_CONFIG_HOME", data.path().join("config"))
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let status = loop {
        if let Some(status) = second.try_wait()? {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = second.kill();
            return Err("a second launch kept running beside the first".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        status.success(),
        "the second launch exits cleanly: {status}"
    );
    app.wait_for(Locator::Css("[data-testid=new-chat]"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    app.quit().await?;
    Ok(())
}

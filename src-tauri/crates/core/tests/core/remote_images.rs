//! Fetching an image the user asked to see, against a scripted server: only real raster images,
//! bounded in size, and every failure typed.

use std::time::Duration;

use bytes::Bytes;
use confab_core::error::{Coded, ErrorCode};
use confab_core::links::{fetch_image, ImageError, MAX_IMAGE_BYTES};
use confab_test_support::fault::{Ending, FaultServer, Reply};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

fn body(content_type: &str, bytes: Vec<u8>) -> Reply {
    Reply {
        status: 200,
        headers: vec![("content-type", content_type.to_owned())],
        chunks: vec![(Duration::ZERO, Bytes::from(bytes))],
        ending: Ending::Close,
    }
}

#[tokio::test]
async fn a_png_becomes_a_data_url() {
    let server = FaultServer::start().await;
    server.script("/cat.png", [body("image/png", PNG.to_vec())]);
    let image = fetch_image(&format!("{}/cat.png", server.url()))
        .await
        .unwrap();
    assert_eq!(image.mime, "image/png");
    assert_eq!(image.bytes, PNG.len());
    assert!(image
        .data_url
        .starts_with("data:image/png;base64,iVBORw0KGgo"));
    assert_eq!(server.requests()[0].0, "/cat.png");
}

#[tokio::test]
async fn the_bytes_decide_not_the_servers_word() {
    let server = FaultServer::start().await;
    server.script(
        "/evil.png",
        [body(
            "image/png",
            b"<svg onload=alert(1) xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
        )],
    );
    server.script(
        "/page",
        [body("text/html", b"<!doctype html><p>hi".to_vec())],
    );
    for path in ["/evil.png", "/page"] {
        let err = fetch_image(&format!("{}{path}", server.url()))
            .await
            .unwrap_err();
        assert!(matches!(err, ImageError::NotAnImage), "{path}: {err}");
        assert_eq!(err.code(), ErrorCode::NotAnImage);
    }
}

#[tokio::test]
async fn failures_are_typed_and_bounded() {
    let server = FaultServer::start().await;
    let mut huge = PNG.to_vec();
    huge.resize(MAX_IMAGE_BYTES + 1, 0);
    server.script("/huge.png", [body("image/png", huge)]);
    // Unscripted paths answer 404.
    let missing = fetch_image(&format!("{}/gone.png", server.url()))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, ImageError::Status { status: 404 }),
        "{missing}"
    );
    let huge = fetch_image(&format!("{}/huge.png", server.url()))
        .await
        .unwrap_err();
    assert!(matches!(huge, ImageError::TooLarge), "{huge}");

    for url in [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:image/png;base64,AAAA",
        "mailto:me@example.com",
        "",
    ] {
        let err = fetch_image(url).await.unwrap_err();
        assert!(matches!(err, ImageError::NotAllowed), "{url}: {err}");
    }
    // Nothing listens on port 9.
    let err = fetch_image("http://127.0.0.1:9/x.png").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImageUnreachable, "{err}");
}

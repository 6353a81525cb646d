//! A work-group robot on loopback (企业微信's webhook, as the server posts to it): keeps every
//! body it was sent, and answers 500 to the first `fail` of them.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

/// What the robot received, and how many requests it still fails.
#[derive(Clone, Default)]
pub struct Robot {
    /// Every body, in order of arrival.
    pub got: Arc<Mutex<Vec<serde_json::Value>>>,
    /// Requests still to answer with 500.
    pub fail: Arc<Mutex<usize>>,
}

async fn receive(
    State(robot): State<Robot>,
    Json(body): Json<serde_json::Value>,
) -> (StatusCode, Json<serde_json::Value>) {
    robot.got.lock().unwrap().push(body);
    let mut fail = robot.fail.lock().unwrap();
    if *fail > 0 {
        *fail -= 1;
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({"errcode": -1, "errmsg": "busy"})),
        );
    }
    (
        StatusCode::OK,
        Json(serde_json::json!({"errcode": 0, "errmsg": "ok"})),
    )
}

impl Robot {
    /// Serves the robot on a loopback port; its webhook address (with a key, as 企业微信's).
    pub async fn start(&self) -> String {
        let app = axum::Router::new()
            .route("/cgi-bin/webhook/send", post(receive))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/cgi-bin/webhook/send?key=test-key")
    }
}

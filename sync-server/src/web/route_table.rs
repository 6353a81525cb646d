//! The office web's routes as a table: each path with the methods it answers, so that the
//! router is built from it and the authorization walk of the tests reads the same table — a
//! route added here is walked, and one cannot be served without being here.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;

use crate::state::AppState;

/// One route: a path, the methods registered on it, and the handlers.
pub struct WebRoute {
    /// The path, with `{name}` parameters.
    pub path: String,
    /// The methods it answers, in the order they were registered.
    pub methods: Vec<Method>,
    route: MethodRouter<AppState>,
}

impl std::fmt::Debug for WebRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRoute")
            .field("path", &self.path)
            .field("methods", &self.methods)
            .finish()
    }
}

impl WebRoute {
    /// A route at `path` with no method yet.
    pub fn at(path: &str) -> Self {
        Self {
            path: path.to_owned(),
            methods: Vec::new(),
            route: MethodRouter::new(),
        }
    }

    /// Answers GET (and HEAD) with `handler`.
    pub fn get<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.methods.push(Method::GET);
        self.route = self.route.get(handler);
        self
    }

    /// Answers POST with `handler`.
    pub fn post<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.methods.push(Method::POST);
        self.route = self.route.post(handler);
        self
    }

    /// Takes request bodies of at most `bytes` on this route.
    pub fn limit(mut self, bytes: usize) -> Self {
        self.route = self.route.layer(DefaultBodyLimit::max(bytes));
        self
    }

    /// The path under `prefix` (a nested table's); its root `/` is the prefix itself.
    pub fn under(mut self, prefix: &str) -> Self {
        self.path = if self.path == "/" {
            prefix.to_owned()
        } else {
            format!("{prefix}{}", self.path)
        };
        self
    }

    /// The router of `routes`.
    pub fn router(routes: Vec<WebRoute>) -> axum::Router<AppState> {
        routes
            .into_iter()
            .fold(axum::Router::new(), |r, w| r.route(&w.path, w.route))
    }
}

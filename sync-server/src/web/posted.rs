//! Forms the office web posts: each carries the page's CSRF token.
//!
//! [`Posted`] names where a form keeps its token, so the checks every action starts with (the
//! form read, the token compared) are written once, by the extractors and helpers that take any
//! posted form (`Admin::project_form`, and the case actions' kit).

/// A form posted by an office page.
pub trait Posted {
    /// The CSRF token the page put into the form.
    fn csrf(&self) -> &str;
}

/// Implements [`Posted`] for forms whose token is their `csrf` field.
macro_rules! posted_with_csrf_field {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::web::posted::Posted for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use posted_with_csrf_field;

//! Failures in words the person understands, in their language: what happened, and whether
//! their work is safe. The engine's own (English) detail is kept after a colon where it names
//! something the person can act on (the server's sentence, the photo's problem).

use crate::client::ClientError;
use plumbline_media::capture::qr::ScanError;
use plumbline_shared::doc::finding::ContactError;

use crate::engine::EngineError;
use crate::engine::WalkRefusal;
use crate::signature::SignatureError;
use crate::ui::i18n::{Lang, Msg};

/// The message for a failed command.
pub fn describe(error: &EngineError, lang: Lang) -> String {
    match error {
        EngineError::Server(e) => describe_client(e, lang),
        EngineError::NotEnrolled => Msg::ErrNotEnrolled.text(lang).to_owned(),
        EngineError::UnknownUnit(_) => Msg::ErrUnknownUnit.text(lang).to_owned(),
        EngineError::NoRole(_) => Msg::ErrNoRole.text(lang).to_owned(),
        EngineError::StorageFull { .. } => Msg::ErrStorageFull.text(lang).to_owned(),
        EngineError::Capture(e) => format!("{}: {e}", Msg::ErrPhoto.text(lang)),
        EngineError::Walk(e) => walk_refusal(e, lang).to_owned(),
        // The document's own checks, on the phone: nothing was sent to a server.
        EngineError::Doc(e) => format!("{}: {e}", Msg::ErrNotSaved.text(lang)),
        EngineError::Store(e) => format!("{}: {e}", Msg::ErrLocal.text(lang)),
        EngineError::Files(e) => format!("{}: {e}", Msg::ErrLocal.text(lang)),
    }
}

/// What is missing before an owner's walk can be signed.
fn walk_refusal(error: &WalkRefusal, lang: Lang) -> &'static str {
    match error {
        WalkRefusal::Contact(ContactError::NameMissing | ContactError::NameInvalid) => {
            Msg::ErrOwnerName.text(lang)
        }
        WalkRefusal::Contact(ContactError::PhoneMissing | ContactError::PhoneInvalid) => {
            Msg::ErrOwnerPhone.text(lang)
        }
        WalkRefusal::Signature(SignatureError::Empty) => Msg::ErrNoSignature.text(lang),
        WalkRefusal::Signature(SignatureError::TooLong) => Msg::ErrSignatureTooLong.text(lang),
        WalkRefusal::ListChanged => Msg::ErrWalkListChanged.text(lang),
    }
}

/// Why a picture gave no enrollment code, for a person.
pub fn describe_scan(error: &ScanError, lang: Lang) -> String {
    match error {
        ScanError::Picture(e) => format!("{}: {e}", Msg::ErrPhoto.text(lang)),
        ScanError::NoCode => Msg::ErrScanNoCode.text(lang).to_owned(),
        ScanError::NotEnrollment(_) => Msg::ErrScanNotEnrollment.text(lang).to_owned(),
    }
}

/// The message for a failed request to the server.
pub fn describe_client(error: &ClientError, lang: Lang) -> String {
    match error {
        ClientError::Offline(_) => Msg::ErrOffline.text(lang).to_owned(),
        ClientError::Unauthorized(_) => Msg::ErrUnauthorized.text(lang).to_owned(),
        ClientError::Refused { message, .. } => {
            format!("{}: {message}", Msg::ErrRefused.text(lang))
        }
        ClientError::ServerFailed { .. } => Msg::ErrServerFailed.text(lang).to_owned(),
        ClientError::BadReply(_) => Msg::ErrBadReply.text(lang).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_server_says_the_work_is_safe_in_both_languages() {
        let e = EngineError::Server(ClientError::Offline("connection refused".into()));
        assert!(describe(&e, Lang::Zh).contains("已保存在本机"));
        assert!(describe(&e, Lang::En).contains("saved on the phone"));
    }

    #[test]
    fn a_local_check_is_not_blamed_on_the_server() {
        let e = EngineError::Doc(plumbline_shared::doc::DocError::Invalid(
            "the description is longer than 2000 characters".into(),
        ));
        let text = describe(&e, Lang::Zh);
        assert!(text.starts_with("无法保存这条记录"), "{text}");
        assert!(!text.contains("服务器"));
    }

    #[test]
    fn the_servers_own_sentence_is_kept() {
        let e = EngineError::Server(ClientError::Refused {
            status: 400,
            message: "this code was already used".into(),
        });
        let text = describe(&e, Lang::Zh);
        assert!(text.starts_with("服务器拒绝了请求"));
        assert!(text.contains("this code was already used"));
    }
}

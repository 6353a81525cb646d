//! The office web: the case records and the complaint-center workflow in the browser.
//!
//! Pages are rendered on the server with Dioxus `rsx!` and `dioxus-ssr`: plain HTML, forms and
//! links, no script needed, so they work on any office PC and print cleanly. zh-CN by default,
//! English on a switch ([`i18n`]). Staff sign in with a password ([`session`]); every form
//! carries a CSRF token; roles are checked on the server for every action, never by hiding a
//! button.
//!
//! - [`cases`]: the case list, its filters, paging and CSV export.
//! - [`case_detail`]: one case, its timeline and photos, and the workflow's actions.
//! - [`fines`]: fine slips on a case (draft, approvals, void, the printable slip);
//!   [`claims`]: owner claims (record, agree, pay); amounts in yuan and in Chinese
//!   capital numerals come from `plumbline_shared::money`.
//! - [`layout`]: the page shell.
//! - [`readiness`]: handover readiness per project and building, and [`planning`]: who
//!   inspects which floors when.
//! - [`intake`]: the front desk's complaint intake (an owner's call or visit opens a case);
//!   [`merge`]: probable duplicates and merging them.
//! - [`archives`]: a unit's archive (every case, repair, claim, fine and inspection round) and
//!   an owner's cases across units; [`sorting`]: the case list's order; [`reassign`]: a
//!   disputed or refused case to another contractor.
//! - [`admin`]: administration (users and roles, devices, enrollment codes, projects, the
//!   checklist template), for administrators only.

pub mod admin;
pub mod archives;
pub mod badges;
pub mod case_actions;
pub mod case_detail;
pub mod case_export;
pub mod case_kit;
pub mod case_load;
pub mod case_pack;
pub mod cases;
pub mod claims;
pub mod complaint_form;
pub mod dashboard;
pub mod date_field;
pub mod device_work;
pub mod event_text;
pub mod fine_slip;
pub mod fines;
pub mod i18n;
pub mod inbox;
pub mod intake;
pub mod labels;
pub mod layout;
pub mod merge;
pub mod notice_print;
pub mod owner_contact;
pub mod paper_file;
pub mod people;
pub mod photos;
pub mod planning;
pub mod posted;
pub mod qr;
pub mod readiness;
pub mod reassign;
pub mod reports;
pub mod route_table;
pub mod session;
pub mod sorting;
pub mod told;
pub mod walk_sheet;
pub mod when;

use axum::Router;
use axum::response::Redirect;

use crate::state::AppState;
pub use route_table::WebRoute;

/// Every route of the office web (outside `/api/v1`), the administration's under `/admin`.
pub fn routes() -> Vec<WebRoute> {
    let at = WebRoute::at;
    let mut out = vec![
        at("/").get(|| async { Redirect::to("/dashboard") }),
        at("/dashboard").get(dashboard::show),
        at("/inbox").get(inbox::show),
        at("/inbox/read").post(inbox::mark_read),
        at("/intake").get(intake::form).post(intake::record),
        at("/login").get(session::login_form).post(session::login),
        at("/logout").post(session::logout),
        at("/lang/{code}").get(session::switch_language),
        at("/readiness").get(readiness::show),
        at("/reports").get(|| async { Redirect::to("/reports/monthly") }),
        at("/reports/monthly").get(reports::monthly::show),
        at("/reports/suggestions").get(reports::suggestions::show),
        at("/reports/suggestions/print").get(reports::suggestion_sheet::print),
        at("/reports/suggestions.pdf").get(reports::suggestion_sheet::pdf),
        at("/reports/suggestions.xlsx").get(reports::suggestions::xlsx),
        at("/reports/suggestions/notes").post(reports::suggestions::save_note),
        at("/reports/scorecards").get(reports::scorecards::show),
        at("/reports/satisfaction").get(reports::satisfaction::show),
        at("/reports/settlement").get(reports::settlement::show),
        at("/reports/settlement.xlsx").get(reports::settlement::xlsx),
        at("/reports/cases").get(reports::drill::list),
        at("/readiness/units").get(readiness::units),
        at("/readiness/assignments").post(planning::save),
        at("/readiness/assignments/remove").post(planning::remove),
        at("/cases").get(cases::list),
        at("/devices").get(device_work::list),
        at("/devices/{device}").get(device_work::show),
        at("/cases/export.csv").get(case_export::csv),
        at("/cases/export.xlsx").get(case_export::xlsx),
        at("/cases/{unit}/{finding}").get(case_detail::show),
        at("/cases/{unit}/{finding}/notice")
            .get(notice_print::print_notice)
            .post(case_actions::issue_notice),
        at("/cases/{unit}/{finding}/notice/pdf").get(notice_print::notice_pdf),
        at("/cases/{unit}/{finding}/complaint").get(complaint_form::print),
        at("/cases/{unit}/{finding}/complaint/pdf").get(complaint_form::pdf),
        at("/cases/{unit}/{finding}/pack").get(case_pack::download),
        at("/units/{unit}/walks/{walk}").get(walk_sheet::print),
        at("/units/{unit}/walks/{walk}/pdf").get(walk_sheet::pdf),
        at("/cases/{unit}/{finding}/contact").get(owner_contact::contact),
        at("/cases/{unit}/{finding}/callback").post(case_actions::record_callback),
        at("/cases/{unit}/{finding}/step").post(case_actions::record_step),
        at("/cases/{unit}/{finding}/reassign").post(reassign::reassign),
        at("/cases/{unit}/{finding}/fines").post(fines::draft),
        at("/cases/{unit}/{finding}/fines/{fine}").get(fine_slip::print),
        at("/cases/{unit}/{finding}/fines/{fine}/pdf").get(fine_slip::pdf),
        at("/cases/{unit}/{finding}/fines/{fine}/approve").post(fines::approve),
        at("/cases/{unit}/{finding}/fines/{fine}/void").post(fines::void),
        at("/cases/{unit}/{finding}/claims").post(claims::record),
        at("/cases/{unit}/{finding}/claims/{claim}/agree").post(claims::agree),
        at("/cases/{unit}/{finding}/claims/{claim}/pay").post(claims::pay),
        at("/cases/{unit}/{finding}/merge").post(merge::merge),
        at("/photos/{hash}").get(photos::photo),
        at("/photos/{hash}/thumb").get(photos::thumbnail),
        at("/archives/owners").get(archives::owners),
        at("/archives/contact-log").get(owner_contact::access_log),
        at("/archives/units").get(archives::unit_box),
        at("/archives/units/{unit}").get(archives::unit),
    ];
    out.extend(admin::routes().into_iter().map(|r| r.under("/admin")));
    out
}

/// The office web's router, built from [`routes`].
pub fn router() -> Router<AppState> {
    WebRoute::router(routes())
}

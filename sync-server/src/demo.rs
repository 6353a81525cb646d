//! The demo: the project 郦城 with accounts for every role and, unless asked for an empty one,
//! three months of history scripted from a seed ([`crate::history`]).
//!
//! The history is what a newcomer needs to see what Plumbline does: the pre-handover
//! inspection of both buildings by three inspectors with photos, notices answered on time and
//! late, disputes and reassignments, failed and passed acceptances, fines with their approvals
//! (some voided), emergency repairs with their cost, owner complaints and callbacks at every
//! satisfaction level, merged duplicates — and, on the morning the demo starts, a case in every
//! queue of the dashboard ([`crate::history::OPEN_WORK`]). 1栋 is dated as handed over ten
//! weeks before the demo starts and 2栋 six weeks after it, so the readiness page shows one
//! building handed over and one in its inspection window. The history itself does not follow
//! the handover dates unit by unit: owners' calls come from both buildings, and inspection
//! rounds run through the months before.
//!
//! The same seed and the same day give the same history; the times are relative to the
//! server's clock when the demo is created.

use std::io::Write;

use anyhow::Context;
use chrono::Days;
use plumbline_shared::demo::demo_project;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::{ContractorId, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::time::HOUR_MS;

use crate::account_admin::{add_user, enrollment_code};
use crate::history::{self, Cast, Params, Photos, actor};
use crate::setup::create_project;
use crate::state::AppState;
use crate::store::Membership;

/// The demo's accounts: (login, name, role, company).
const ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("wangli", "王丽", Role::Inspector, None),
    ("zhaomin", "赵敏", Role::Manager, None),
    ("liqiang", "李强", Role::Coordinator, None),
    ("chenjing", "陈静", Role::FrontDesk, None),
    ("sunyue", "孙悦", Role::CustomerRep, None),
    ("zhougang", "周刚", Role::Contractor, Some("hengzhu-civil")),
    ("admin", "管理员", Role::Admin, None),
];

/// The people of the history who sign in less often: two more inspectors and a foreman for
/// every other contractor. Their accounts are made with the history, after the ones above.
const HISTORY_ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("liuyang", "刘洋", Role::Inspector, None),
    ("huangwei", "黄伟", Role::Inspector, None),
    ("wuhao", "吴昊", Role::Contractor, Some("tongtai-mep")),
    ("zhenglei", "郑磊", Role::Contractor, Some("meijia-fitout")),
    (
        "heming",
        "何明",
        Role::Contractor,
        Some("mingguang-windows"),
    ),
    (
        "linfeng",
        "林峰",
        Role::Contractor,
        Some("lvyuan-landscape"),
    ),
];

/// The seed of the demo's history.
pub const SEED: u64 = 0x0D3A_0C17;
/// Findings drawn for the demo's history, the scripted edge cases among them; the threshold
/// groups of the product suggestions and today's open work come on top (about 390 in all).
pub const FINDINGS: usize = 360;
/// Days before the demo starts that 1栋 was handed over.
const HANDED_OVER_DAYS_AGO: u64 = 70;
/// Photos taken in the last hours before the demo starts are still on the inspectors' phones.
const UPLOADING_HOURS: i64 = 3;

/// What the demo starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The project and its accounts only.
    Empty,
    /// Three months of history before today.
    WithHistory,
}

/// Creates the demo on a fresh data folder (project, accounts for every role, an enrollment
/// code, and the history unless `start` is [`Start::Empty`]) and prints the secrets once. On a
/// folder that already holds it, does nothing.
pub async fn create(state: &AppState, start: Start, out: &mut impl Write) -> anyhow::Result<()> {
    let now = state.now();
    let today = now.date_cst();
    let mut project = demo_project(today).context("building the demo project")?;
    if state
        .store
        .doc_heads(&DocId::Project(project.id.clone()))
        .await?
        .is_some()
    {
        writeln!(
            out,
            "演示数据已存在 The demo already exists in this data folder; serving it."
        )?;
        return Ok(());
    }
    let mut accounts: Vec<_> = ACCOUNTS.to_vec();
    if start == Start::WithHistory {
        let handed_over = today
            .checked_sub_days(Days::new(HANDED_OVER_DAYS_AGO))
            .context("the demo's handover date")?;
        if let Some(first) = project.buildings.first_mut() {
            for unit in &mut first.units {
                unit.handover = handed_over;
            }
        }
        accounts.extend_from_slice(HISTORY_ACCOUNTS);
    }
    // The project and its accounts first: a history cut short (a stop during the first start)
    // still leaves a demo people can sign in to.
    create_project(state, &project).await?;
    writeln!(
        out,
        "演示项目 Demo project: {} {} — {} 户 units",
        project.name_zh,
        project.name_en,
        project.units().count()
    )?;
    writeln!(out, "演示账号 Demo accounts (shown once 仅显示一次):")?;
    for (login, name, role, company) in accounts {
        let user = UserId::new(login)?;
        let membership = Membership {
            project: project.id.clone(),
            role,
            contractor: company.map(ContractorId::new).transpose()?,
        };
        let password = add_user(state, &user, name, None, membership).await?;
        writeln!(
            out,
            "  {:<10} {:<6} {:<14} password 密码: {password}",
            login,
            name,
            role.label_zh()
        )?;
    }
    let code = enrollment_code(state, &UserId::new("wangli")?).await?;
    writeln!(
        out,
        "检查员手机注册码 Enrollment code for 王丽's phone: {code}"
    )?;
    if start == Start::WithHistory {
        let mut params = Params::new(project.id.as_str(), (0, 0, 0), FINDINGS, SEED, now);
        params.base = Some(project.clone());
        params.open_work_today = true;
        let mut g = history::generate(&params);
        let cast = cast(&g.contractors)?;
        let photos = Photos::Stored {
            uploaded_before: now.0 - UPLOADING_HOURS * HOUR_MS,
        };
        history::write(state, &mut g, &cast, photos)
            .await
            .context("writing the demo's history")?;
        let photos: usize = g
            .cases
            .iter()
            .flat_map(|c| &c.steps)
            .filter(|s| matches!(s.kind, history::StepKind::Evidence(_)))
            .count();
        let first = g.cases.iter().map(|c| c.recorded).min().unwrap_or(now.0);
        writeln!(
            out,
            "演示历史 Demo history: {} 条问题 findings, {photos} 张照片 photos, since {}",
            g.cases.len(),
            history::Month::containing(first)
        )?;
    }
    Ok(())
}

/// Who did what in the history: the demo's people, each foreman with their contractor.
fn cast(contractors: &[ContractorId]) -> anyhow::Result<Cast> {
    let people = || ACCOUNTS.iter().chain(HISTORY_ACCOUNTS);
    let one = |role: Role| {
        people()
            .find(|a| a.2 == role)
            .map(|a| actor(a.0, role))
            .with_context(|| format!("the demo has no {}", role.label_en()))
    };
    let foremen = contractors
        .iter()
        .map(|c| {
            people()
                .find(|a| a.3 == Some(c.as_str()))
                .map(|a| actor(a.0, Role::Contractor))
                .with_context(|| format!("the demo has no foreman for `{c}`"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Cast {
        inspectors: people()
            .filter(|a| a.2 == Role::Inspector)
            .map(|a| actor(a.0, Role::Inspector))
            .collect(),
        front_desk: one(Role::FrontDesk)?,
        manager: one(Role::Manager)?,
        coordinator: one(Role::Coordinator)?,
        contractors: foremen,
    })
}

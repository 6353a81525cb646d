//! A report figure's name as a person reads it, from its key: `score.tongtai-mep.response_missed`
//! is "上海同泰机电安装工程有限公司 · 4小时未响应". The drill-down page shows it above the cases
//! behind the figure; the key stays in the link.
//!
//! The keys are those of `crate::reports` (listed in `docs/reports.md`); a key this does not
//! know is shown as it is, so a new figure is never hidden, only unnamed.

use plumbline_shared::event::{Origin, Satisfaction};
use plumbline_shared::ids::ContractorId;
use plumbline_shared::project::Project;

use super::contractor_name;
use crate::web::i18n::Lang;
use crate::web::labels;

/// A part of a figure's name, in both languages.
type Words = (&'static str, &'static str);

/// The monthly report's own figures.
const MONTHLY: [(&str, Words); 3] = [
    ("intake", ("本月新增", "New this month")),
    ("closures", ("本月关闭", "Closed this month")),
    ("backlog", ("未结案件", "Open cases")),
];

/// A contractor's scorecard figures.
const SCORE: [(&str, Words); 16] = [
    ("notices", ("整改通知单", "Notices")),
    ("response_met", ("按时响应", "Answered in time")),
    (
        "response_missed",
        ("4小时未响应", "Not answered in 4 hours"),
    ),
    (
        "response_stopped",
        ("响应计时中止", "Response clock stopped"),
    ),
    ("response_pending", ("待响应", "Awaiting an answer")),
    ("repair_on_time", ("按期整改", "Repaired on time")),
    ("repair_late", ("整改逾期", "Repaired late")),
    ("repair_stopped", ("整改计时中止", "Repair clock stopped")),
    ("repair_pending", ("整改中", "Repair under way")),
    ("first_time", ("一次验收合格率", "First-time acceptance")),
    ("response_time", ("平均响应时间", "Mean response time")),
    ("fines", ("罚款单", "Fines")),
    ("fines_total", ("罚款金额", "Fines, amount")),
    ("fines_voided", ("作废罚款单", "Voided fines")),
    ("emergency", ("紧急维修", "Emergency repairs")),
    ("emergency_cost", ("紧急维修费用", "Emergency repair cost")),
];

/// A product-suggestion group's figures.
const SUGGEST: [(&str, Words); 5] = [
    ("cases", ("问题数", "Cases")),
    ("units", ("涉及户数", "Units affected")),
    ("share", ("占已查验户比例", "Share of units inspected")),
    ("mttr", ("平均修复时间", "Mean time to repair")),
    ("candidate", ("建议候选", "Candidate")),
];

/// The settlement ledger's figures (`settle.contractor.<id>.…`, `settle.total.…`).
const SETTLE: [(&str, Words); 5] = [
    ("fines_approved", ("审批完成的罚款", "Fines fully approved")),
    ("fines_pending", ("审批中的罚款", "Fines awaiting approval")),
    ("emergency_cost", ("应急维修费用", "Emergency repair costs")),
    (
        "emergency_uncosted",
        ("费用未定的应急维修", "Emergency repairs without a cost yet"),
    ),
    ("total", ("应结算合计", "To settle")),
];

fn pick(lang: Lang, words: Words) -> &'static str {
    lang.pick(words.0, words.1)
}

fn find(table: &[(&str, Words)], key: &str) -> Option<Words> {
    table.iter().find(|(k, _)| *k == key).map(|(_, w)| *w)
}

fn level(lang: Lang, key: &str) -> Option<&'static str> {
    Satisfaction::ALL
        .into_iter()
        .find(|l| l.as_str() == key)
        .map(|l| lang.pick(l.label_zh(), l.label_en()))
}

fn contractor(project: &Project, lang: Lang, id: &str) -> String {
    ContractorId::new(id).map_or_else(
        |_| id.to_owned(),
        |id| contractor_name(project, lang, Some(&id)),
    )
}

/// The name of the figure `key` of `project`'s reports.
pub fn label(key: &str, project: &Project, lang: Lang) -> String {
    named(key, project, lang).unwrap_or_else(|| key.to_owned())
}

fn named(key: &str, project: &Project, lang: Lang) -> Option<String> {
    if let Some(words) = find(&MONTHLY, key) {
        return Some(pick(lang, words).to_owned());
    }
    let (head, rest) = key.split_once('.')?;
    match head {
        "intake" => {
            let origin = rest.strip_prefix("origin.")?;
            let origin = Origin::ALL.into_iter().find(|o| o.as_str() == origin)?;
            let by = lang.pick(origin.label_zh(), origin.label_en());
            Some(format!("{} · {by}", pick(lang, MONTHLY[0].1)))
        }
        "backlog" => {
            let age = rest.strip_prefix("age.")?;
            Some(format!(
                "{} · {age} {}",
                pick(lang, MONTHLY[2].1),
                lang.pick("天", "days")
            ))
        }
        "trend" => {
            let (month, what) = rest.rsplit_once('.')?;
            let what = match what {
                "intake" => lang.pick("新增", "New"),
                "closures" => lang.pick("关闭", "Closed"),
                _ => return None,
            };
            Some(format!("{month} · {what}"))
        }
        "category" => Some(format!(
            "{} · {}",
            lang.pick("问题类别", "Category"),
            labels::category(lang, rest)
        )),
        "score" => {
            let (who, what) = rest.rsplit_once('.')?;
            Some(format!(
                "{} · {}",
                contractor(project, lang, who),
                pick(lang, find(&SCORE, what)?)
            ))
        }
        "settle" => {
            let (who, what) = rest.rsplit_once('.')?;
            let whose = match who.split_once('.') {
                None if who == "total" => lang.pick("合计", "Total").to_owned(),
                Some(("contractor", id)) => contractor(project, lang, id),
                _ => return None,
            };
            Some(format!(
                "{} · {whose} · {}",
                lang.pick("结算台账", "Settlement"),
                pick(lang, find(&SETTLE, what)?)
            ))
        }
        "sat" => {
            if rest == "reopened" {
                return Some(
                    lang.pick("不满意重新整改", "Reopened after 不满意")
                        .to_owned(),
                );
            }
            let (group, level_key) = rest.rsplit_once('.')?;
            let level = level(lang, level_key)?;
            let (kind, id) = group.split_once('.')?;
            let whose = match kind {
                "month" => id.to_owned(),
                "project" if id == project.id.as_str() => labels::project(project, lang).to_owned(),
                "project" => id.to_owned(),
                "contractor" => contractor(project, lang, id),
                _ => return None,
            };
            Some(format!(
                "{} · {whose} · {level}",
                lang.pick("回访满意度", "Satisfaction")
            ))
        }
        "suggest" => {
            if rest == "inspected" {
                return Some(lang.pick("已查验户数", "Units inspected").to_owned());
            }
            let group_name = |group: &str| -> Option<String> {
                // `<room>.<item>.<category>`: the item id holds one dot.
                let (item, category) = group.rsplit_once('.')?;
                Some(format!(
                    "{}（{}）",
                    labels::item(lang, item),
                    labels::category(lang, category)
                ))
            };
            // A group's stack or floor (`….stack.<building>-<n>`) or contractor.
            for kind in [".stack.", ".floor.", ".contractor."] {
                if let Some((group, tail)) = rest.split_once(kind) {
                    let whose = if kind == ".contractor." {
                        contractor(project, lang, tail)
                    } else {
                        let (building, at) = tail.rsplit_once('-')?;
                        let building = project
                            .buildings
                            .iter()
                            .find(|b| b.id.as_str() == building)
                            .map_or(building, |b| b.name.as_str());
                        match (kind, lang) {
                            (".stack.", Lang::Zh) => format!("{building} {at:0>2}列"),
                            (".stack.", Lang::En) => format!("{building} stack {at:0>2}"),
                            (_, Lang::Zh) => format!("{building} {at}层"),
                            (_, Lang::En) => format!("{building} floor {at}"),
                        }
                    };
                    return Some(format!("{} · {whose}", group_name(group)?));
                }
            }
            let (group, what) = rest.rsplit_once('.')?;
            Some(format!(
                "{} · {}",
                group_name(group)?,
                pick(lang, find(&SUGGEST, what)?)
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use plumbline_shared::demo::demo_project;

    use super::*;

    #[test]
    fn figure_keys_read_as_names_and_unknown_keys_as_themselves() {
        let p = demo_project(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()).unwrap();
        let zh = |k: &str| label(k, &p, Lang::Zh);
        assert_eq!(zh("intake"), "本月新增");
        assert_eq!(zh("intake.origin.owner_call"), "本月新增 · 业主来电");
        assert_eq!(
            zh("score.tongtai-mep.response_missed"),
            "上海同泰机电安装工程有限公司 · 4小时未响应"
        );
        assert_eq!(
            zh("sat.project.licheng.dissatisfied"),
            "回访满意度 · 郦城 · 不满意"
        );
        assert!(zh("suggest.bathroom.ponding_test.waterproofing.units").ends_with(" · 涉及户数"));
        assert!(!zh("suggest.bathroom.ponding_test.waterproofing.units").contains("bathroom"));
        assert_eq!(zh("trend.2026-10.closures"), "2026-10 · 关闭");
        let stack = zh("suggest.bathroom.ponding_test.waterproofing.stack.licheng-b1-3");
        assert!(stack.ends_with(" · 1栋 03列"), "{stack}");
        let floor = zh("suggest.bathroom.ponding_test.waterproofing.floor.licheng-b2-12");
        assert!(floor.ends_with(" · 2栋 12层"), "{floor}");
        let by = zh("suggest.bathroom.ponding_test.waterproofing.contractor.tongtai-mep");
        assert!(by.ends_with(" · 上海同泰机电安装工程有限公司"), "{by}");
        assert_eq!(zh("no.such.figure"), "no.such.figure");
        assert_eq!(
            label("score.hengzhu-civil.first_time", &p, Lang::En),
            "浙江恒筑建设集团有限公司 · First-time acceptance"
        );
    }
}

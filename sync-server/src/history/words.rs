//! What people write in a scripted history: a finding's description and an owner's name, in
//! Chinese, varied by the case's number so that lists do not read as copies of one line.

use plumbline_shared::ids::ItemId;
use plumbline_shared::template::ChecklistTemplate;

/// What an inspector or the front desk writes after the check item.
const DEFECTS: [&str; 8] = [
    "不合格，现场已拍照",
    "存在问题，需施工单位整改",
    "业主反映，现场复核属实",
    "局部不合格，范围约0.5平方米",
    "多处不合格，需全面检查",
    "不符合验收标准",
    "有明显缺陷，影响使用",
    "复查仍未达标",
];

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
];
const GIVEN: [&str; 12] = [
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "婷",
];

/// A finding's description: what the item checks and what was wrong with it.
pub fn description(template: &ChecklistTemplate, item: &ItemId, case: usize) -> String {
    let what = template
        .item(item)
        .map_or_else(|| item.to_string(), |(_, check)| check.zh.clone());
    format!("{what}：{}", DEFECTS[case % DEFECTS.len()])
}

/// An owner's name: surname and given name, with 先生 or 女士 for some.
pub fn owner_name(case: usize) -> String {
    let surname = SURNAMES[case % SURNAMES.len()];
    let given = GIVEN[(case / SURNAMES.len() + case * 7) % GIVEN.len()];
    match case % 3 {
        0 => format!("{surname}{given}"),
        1 => format!("{surname}先生"),
        _ => format!("{surname}女士"),
    }
}

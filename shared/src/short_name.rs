//! A company's short name (简称), for where space is tight: "上海同泰机电安装工程有限公司" is
//! "同泰机电" in a list column, as people in the department say it.
//!
//! Chinese company names follow one pattern (the registration rule): place + trade name
//! (字号) + trade + organisational form. The short name is the trade name with the first
//! trade word: the place in front and the form and the generic trade words at the end are
//! dropped. A name that does not follow the pattern, or would shrink to fewer than two
//! characters, stays whole. The full name is always a hover away (`title`) and on every paper.

/// Places a registered name starts with: provinces, then the cities contractors of a
/// residential project commonly come from. Longest first where one is a prefix of another.
const PLACES: &[&str] = &[
    "内蒙古",
    "黑龙江",
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "杭州",
    "宁波",
    "温州",
    "绍兴",
    "嘉兴",
    "湖州",
    "金华",
    "台州",
    "南京",
    "苏州",
    "无锡",
    "常州",
    "南通",
    "合肥",
    "广州",
    "深圳",
    "佛山",
    "东莞",
    "武汉",
    "长沙",
    "成都",
    "西安",
    "郑州",
    "济南",
    "青岛",
    "厦门",
    "福州",
    "昆明",
    "南昌",
    "沈阳",
    "大连",
];

/// Endings dropped one after another: the organisational form, then generic trade words.
const ENDINGS: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
    "工程",
    "建设",
    "安装",
    "装饰",
    "装修",
    "施工",
    "设计",
    "技术",
    "科技",
    "实业",
    "发展",
    "服务",
    "管理",
];

/// The short name of a company name; see the module docs.
pub fn short_name(full: &str) -> &str {
    let mut rest = full.trim();
    for place in PLACES {
        if let Some(after) = rest.strip_prefix(place) {
            rest = after
                .strip_prefix('市')
                .or(after.strip_prefix('省'))
                .unwrap_or(after);
            break;
        }
    }
    while let Some(shorter) = ENDINGS.iter().find_map(|e| rest.strip_suffix(e)) {
        if shorter.chars().count() < 2 {
            break;
        }
        rest = shorter;
    }
    if rest.chars().count() < 2 || ENDINGS.contains(&rest) {
        full.trim()
    } else {
        rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_place_the_form_and_the_generic_trade_words_go() {
        let cases = [
            ("上海同泰机电安装工程有限公司", "同泰机电"),
            ("浙江恒筑建设集团有限公司", "恒筑"),
            ("杭州市明光门窗有限公司", "明光门窗"),
            ("绿源园林景观工程有限责任公司", "绿源园林景观"),
            ("中建三局集团有限公司", "中建三局"),
            ("Acme Ltd", "Acme Ltd"),
            ("有限公司", "有限公司"),
            ("上海工程有限公司", "上海工程有限公司"),
        ];
        for (full, short) in cases {
            assert_eq!(short_name(full), short, "{full}");
        }
    }
}

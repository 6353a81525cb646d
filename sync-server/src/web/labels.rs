//! Names of rooms, check items and categories for people, from the checklist template; an id
//! the template does not know (a newer device's template, a typo) is shown as it is.

use std::sync::LazyLock;

use plumbline_shared::template::{ChecklistTemplate, residential};

use super::i18n::Lang;

/// The template whose names the pages show. Projects all use the residential template today;
/// when a project can choose its own, this becomes a per-project lookup.
static TEMPLATE: LazyLock<ChecklistTemplate> = LazyLock::new(residential);

/// The template itself, for forms that offer its rooms, items and categories.
pub fn template() -> &'static ChecklistTemplate {
    &TEMPLATE
}

/// A unit as people name it: its building and label (`1栋 1-1201`); the id when the project
/// does not list it.
pub fn unit(
    project: &plumbline_shared::project::Project,
    id: &plumbline_shared::ids::UnitId,
) -> String {
    project.unit(id).map_or_else(
        || id.to_string(),
        |(b, u)| format!("{} {}", b.name, u.label),
    )
}

/// A room's name.
pub fn room(lang: Lang, id: &str) -> String {
    id.parse()
        .ok()
        .and_then(|id| TEMPLATE.room(&id))
        .map_or_else(|| id.to_owned(), |r| lang.pick(&r.zh, &r.en).to_owned())
}

/// A check item's name.
pub fn item(lang: Lang, id: &str) -> String {
    id.parse()
        .ok()
        .and_then(|id| TEMPLATE.item(&id))
        .map_or_else(
            || id.to_owned(),
            |(_, i)| lang.pick(&i.zh, &i.en).to_owned(),
        )
}

/// A category's name.
pub fn category(lang: Lang, id: &str) -> String {
    id.parse()
        .ok()
        .and_then(|id| TEMPLATE.category(&id))
        .map_or_else(|| id.to_owned(), |c| lang.pick(&c.zh, &c.en).to_owned())
}

/// Every room, id and name, in walking order (for a filter's choices).
pub fn rooms(lang: Lang) -> Vec<(String, String)> {
    TEMPLATE
        .rooms
        .iter()
        .map(|r| (r.id.to_string(), lang.pick(&r.zh, &r.en).to_owned()))
        .collect()
}

/// Every category, id and name (for a filter's choices).
pub fn categories(lang: Lang) -> Vec<(String, String)> {
    TEMPLATE
        .categories
        .iter()
        .map(|c| (c.id.to_string(), lang.pick(&c.zh, &c.en).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_template_and_unknown_ids_stay_readable() {
        assert_eq!(room(Lang::Zh, "kitchen"), "厨房");
        assert_eq!(room(Lang::En, "kitchen"), "Kitchen");
        assert_eq!(room(Lang::Zh, "attic"), "attic");
        assert_ne!(item(Lang::Zh, "kitchen.drain"), "kitchen.drain");
        assert_eq!(category(Lang::Zh, "no-such"), "no-such");
    }
}

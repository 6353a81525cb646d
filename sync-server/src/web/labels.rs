//! Names of rooms, check items and categories for people, from the checklist template; an id
//! the template does not know (a newer device's template, a typo) is shown as it is.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use plumbline_shared::ids::{ProjectId, UnitId};
use plumbline_shared::project::Project;

use plumbline_shared::template::{ChecklistTemplate, residential};

use super::i18n::Lang;

/// The template whose names the pages show. Projects all use the residential template today;
/// when a project can choose its own, this becomes a per-project lookup.
static TEMPLATE: LazyLock<ChecklistTemplate> = LazyLock::new(residential);

/// The template itself, for forms that offer its rooms, items and categories.
pub fn template() -> &'static ChecklistTemplate {
    &TEMPLATE
}

/// A unit as people name it: its building and number (`1栋1201`: the label `1-1201` loses the
/// building number it repeats); the id when the project does not list it.
pub fn unit(project: &Project, id: &UnitId) -> String {
    project.unit(id).map_or_else(
        || id.to_string(),
        |(b, u)| {
            let number = u
                .label
                .split_once('-')
                .filter(|(prefix, _)| !prefix.is_empty() && b.name.starts_with(*prefix))
                .map_or(u.label.as_str(), |(_, rest)| rest);
            format!("{}{number}", b.name)
        },
    )
}

/// A project's name in the page's language.
pub fn project(project: &Project, lang: Lang) -> &str {
    lang.pick(&project.name_zh, &project.name_en)
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

/// The units of `pairs` (project, unit) as people name them, each project read once: for lists
/// that cross projects (the inbox, the contact log). A unit of a project that is gone keeps
/// its id.
pub async fn units(
    state: &crate::state::AppState,
    pairs: Vec<(ProjectId, UnitId)>,
) -> anyhow::Result<BTreeMap<UnitId, String>> {
    let mut projects: BTreeMap<ProjectId, Option<Project>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (project, id) in pairs {
        if !projects.contains_key(&project) {
            let loaded = crate::project_read::load_project(state, &project).await?;
            projects.insert(project.clone(), loaded);
        }
        let name = projects[&project]
            .as_ref()
            .map_or_else(|| id.to_string(), |p| unit(p, &id));
        out.insert(id, name);
    }
    Ok(out)
}

/// The projects of `ids` as (id, name) in the page's language, in the order given: for the
/// project pickers. A project whose document is gone keeps its id.
pub async fn projects(
    state: &crate::state::AppState,
    lang: Lang,
    ids: impl IntoIterator<Item = ProjectId>,
) -> anyhow::Result<Vec<(ProjectId, String)>> {
    let mut out = Vec::new();
    for id in ids {
        let name = crate::project_read::load_project(state, &id)
            .await?
            .map_or_else(|| id.to_string(), |p| project(&p, lang).to_owned());
        out.push((id, name));
    }
    Ok(out)
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

//! Creating a project: `plumbline-sync-server admin create-project` and the administration page.
//!
//! A new project is the checklist every project uses, the default workflow settings, the
//! contractor companies of an existing project when asked (a developer engages the same
//! companies across its projects), and the buildings and units of a units CSV when given (the
//! format of `admin import-units`). Everything is checked before anything is written: an id
//! that is taken, a name that is empty, too long or holds invisible controls, a project to take
//! contractors from that does not exist, and every bad row of the CSV; then the project's
//! documents are written in one transaction.

use plumbline_shared::doc::bounds;
use plumbline_shared::ids::{ProjectId, UserId};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use plumbline_shared::workflow::WorkflowSettings;

use crate::account_admin::grant;
use crate::project_read::load_project;
use crate::state::AppState;
use plumbline_shared::units_csv::{self, ImportErrors};

/// Held while a project is created (see [`create_project`]).
static CREATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The longest project name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// What a new project is made of.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// Its id (`licheng-2`): lowercase letters, digits and dashes.
    pub id: ProjectId,
    /// Its Chinese name (郦城二期).
    pub name_zh: String,
    /// Its English name (Licheng II).
    pub name_en: String,
    /// A project whose contractor companies it engages too.
    pub contractors_from: Option<ProjectId>,
    /// A units CSV (text) with its buildings and units.
    pub units_csv: Option<String>,
}

/// Why a project was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The id is taken.
    #[error("there is a project `{0}` already; choose another id")]
    Exists(ProjectId),
    /// A name is empty, too long or holds invisible controls.
    #[error("the {which} name: {reason}")]
    Name {
        /// Which name.
        which: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The project to take contractors from does not exist.
    #[error("there is no project `{0}` to take contractor companies from")]
    NoSuchSource(ProjectId),
    /// The units CSV has problems (each with its line).
    #[error("the units file has problems: {0}")]
    Units(ImportErrors),
    /// Storage failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn check_name(which: &'static str, name: &str) -> Result<String, CreateError> {
    let name = name.trim();
    let problem = |reason: String| CreateError::Name { which, reason };
    if name.is_empty() {
        return Err(problem("it is empty".into()));
    }
    bounds::check_text(which, name, MAX_NAME_CHARS).map_err(|e| problem(e.to_string()))?;
    if name.chars().any(bounds::invisible_in_a_line) {
        return Err(problem(
            "it holds a line break or an invisible control".into(),
        ));
    }
    Ok(name.to_owned())
}

/// Checks `new` and creates the project; `creator` (an administrator on the web) is made an
/// administrator of it. Returns the project as written.
pub async fn create_project(
    state: &AppState,
    new: NewProject,
    creator: Option<&UserId>,
) -> Result<Project, CreateError> {
    let name_zh = check_name("Chinese", &new.name_zh)?;
    let name_en = check_name("English", &new.name_en)?;
    // One creation at a time: between the check that the id is free and the write, another
    // creation of the same id (a double submit) would otherwise update this one in place.
    let _one_at_a_time = CREATING.lock().await;
    if load_project(state, &new.id).await?.is_some() {
        return Err(CreateError::Exists(new.id));
    }
    let contractors = match &new.contractors_from {
        Some(source) => match load_project(state, source).await? {
            Some(p) => p.contractors,
            None => return Err(CreateError::NoSuchSource(source.clone())),
        },
        None => Vec::new(),
    };
    let mut project = Project {
        id: new.id.clone(),
        name_zh,
        name_en,
        template: plumbline_shared::template::residential().id,
        buildings: Vec::new(),
        contractors,
        assignments: Vec::new(),
        suggestion_notes: Vec::new(),
        floor_plans: Vec::new(),
        workflow: WorkflowSettings::default(),
    };
    if let Some(csv) = &new.units_csv {
        let taken = taken_units(state).await?;
        project = units_csv::parse_units_csv_against(&project, csv, &taken)
            .map_err(CreateError::Units)?;
    }
    crate::setup::create_project(state, &project).await?;
    if let Some(user) = creator {
        grant(state, user, &project.id, Role::Admin, None).await?;
    }
    tracing::info!(project = %project.id, by = ?creator, units = project.units().count(), "a project was created");
    Ok(project)
}

/// The units that have documents on this server, in any project: a new project may not reuse
/// their ids.
async fn taken_units(
    state: &AppState,
) -> anyhow::Result<std::collections::HashSet<plumbline_shared::ids::UnitId>> {
    Ok(state
        .store
        .all_docs()
        .await?
        .into_iter()
        .filter_map(|d| match d {
            plumbline_shared::doc::DocId::Unit(u) => Some(u),
            plumbline_shared::doc::DocId::Project(_) => None,
        })
        .collect())
}

//! Importing buildings and units into a project on the server: [`plumbline_shared::units_csv`] reads and
//! checks the CSV text; this module checks it against what the server holds and writes it.

use std::collections::HashSet;

use anyhow::Context;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::{ProjectId, UnitId};
use plumbline_shared::project::Project;

use crate::project_read::load_project;
use crate::setup::create_project;
use crate::state::AppState;
use plumbline_shared::units_csv::{ImportSummary, parse_units_csv_against};

/// Imports buildings and units into an existing project from CSV text (see [`plumbline_shared::units_csv`]
/// for the format and the rules).
///
/// Every row is checked first, against the project and against the unit documents already on
/// the server; when any row is bad the error is an [`ImportErrors`](plumbline_shared::units_csv::ImportErrors)
/// listing every problem by line, and nothing is written. Otherwise the project document and
/// the new units' documents are written in one transaction.
///
/// The project is read, then written by [`create_project`] under a second lock: an
/// administrator editing the same project at that very moment (from the app) could see that
/// edit overwritten. Imports are rare, deliberate office work, so this is accepted.
pub async fn import_units(
    state: &AppState,
    project: &ProjectId,
    csv_text: &str,
) -> anyhow::Result<ImportSummary> {
    let (current, merged) = checked_import(state, project, csv_text).await?;
    write_import(state, project, &current, &merged).await
}

/// What [`import_units`] would add, with every check it makes, and nothing written (the office
/// web's preview).
pub async fn preview_import(
    state: &AppState,
    project: &ProjectId,
    csv_text: &str,
) -> anyhow::Result<ImportSummary> {
    let (current, merged) = checked_import(state, project, csv_text).await?;
    Ok(ImportSummary::between(&current, &merged))
}

/// The project as it is and as the import would leave it, or every problem.
async fn checked_import(
    state: &AppState,
    project: &ProjectId,
    csv_text: &str,
) -> anyhow::Result<(Project, Project)> {
    let Some(current) = load_project(state, project).await? else {
        anyhow::bail!(
            "project `{project}` does not exist in this data folder; check the id \
             (the demo project is `licheng`) or create the project first"
        );
    };
    let taken: HashSet<UnitId> = state
        .store
        .all_docs()
        .await?
        .into_iter()
        .filter_map(|doc| match doc {
            DocId::Unit(unit) => Some(unit),
            DocId::Project(_) => None,
        })
        .collect();
    let merged = match parse_units_csv_against(&current, csv_text, &taken) {
        Ok(merged) => merged,
        Err(errors) => {
            tracing::warn!(
                project = %project,
                problems = errors.0.len(),
                first = %errors.0.first().map(ToString::to_string).unwrap_or_default(),
                "unit import refused; nothing stored"
            );
            for e in &errors.0 {
                tracing::debug!(project = %project, problem = %e, "unit import problem");
            }
            return Err(errors.into());
        }
    };
    Ok((current, merged))
}

async fn write_import(
    state: &AppState,
    project: &ProjectId,
    current: &Project,
    merged: &Project,
) -> anyhow::Result<ImportSummary> {
    let summary = ImportSummary::between(current, merged);
    create_project(state, merged)
        .await
        .with_context(|| format!("writing the imported units of project `{project}`"))?;
    tracing::info!(
        project = %project,
        units = summary.units_added,
        buildings_added = summary.buildings_added,
        buildings_extended = summary.buildings_extended,
        "units imported"
    );
    Ok(summary)
}

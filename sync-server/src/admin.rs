//! Administration on the server's own data folder: users, roles, devices, enrollment codes,
//! importing units, and rebuilding the case records.

use std::collections::HashSet;

use anyhow::Context;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::project::ProjectDoc;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::ids::{ContractorId, DeviceId, ProjectId, UnitId, UserId};
use plumbline_shared::project::Project;
use plumbline_shared::projection::project_unit;
use plumbline_shared::role::Role;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use rand::Rng;

use crate::accounts::{hash_password, new_enrollment_code};
use crate::import::{ImportSummary, parse_units_csv_against};
use crate::setup::create_project;
use crate::state::AppState;
use crate::store::{Membership, NewUser, StoreError};

/// A random password of 12 letters and digits, for demo and new accounts.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Creates a user with a role in a project; returns the password when one was generated.
pub async fn add_user(
    state: &AppState,
    user: &UserId,
    display_name: &str,
    password: Option<&str>,
    membership: Membership,
) -> anyhow::Result<String> {
    let password = password.map(str::to_owned).unwrap_or_else(random_password);
    anyhow::ensure!(
        password.chars().count() >= 8,
        "a password needs at least 8 characters"
    );
    plumbline_shared::doc::bounds::check_text("the display name", display_name, 80)?;
    anyhow::ensure!(
        !display_name.trim().is_empty(),
        "give the person a display name"
    );
    check_membership(state, &membership).await?;
    state
        .store
        .create_user(NewUser {
            user: user.clone(),
            display_name: display_name.to_owned(),
            password_hash: Some(hash_password(&password)?),
        })
        .await?;
    state.store.set_membership(user, membership).await?;
    Ok(password)
}

/// Issues a one-time enrollment code for a user's next device.
pub async fn enrollment_code(state: &AppState, user: &UserId) -> anyhow::Result<String> {
    let (code, hash) = new_enrollment_code();
    let hours = state.config.limits.enrollment_code_hours;
    state
        .store
        .create_enrollment_code(hash, user, Timestamp(state.now().0 + hours * HOUR_MS))
        .await?;
    Ok(code)
}

/// Rebuilds every case-record table from the documents alone.
pub async fn reindex(state: &AppState) -> anyhow::Result<usize> {
    let at = state.now();
    let mut projections = Vec::new();
    for id in state.store.all_docs().await? {
        if let DocId::Unit(_) = id {
            let mut guard = state.docs.lock(&id).await;
            let Some(loaded) = state.docs.get(&mut guard, &id).await? else {
                continue;
            };
            let unit = UnitDoc::from_automerge(loaded.doc.clone())
                .with_context(|| format!("document {id}"))?;
            let settings = state.settings_of(&loaded.project);
            projections.push(project_unit(&unit, at, &settings)?);
        }
    }
    let n = projections.len();
    state.store.replace_all_projections(projections).await?;
    Ok(n)
}

/// Revokes a device.
pub async fn revoke(state: &AppState, device: &DeviceId) -> anyhow::Result<()> {
    state
        .store
        .revoke_device(device, state.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => {
                anyhow::anyhow!("no device `{device}`; `admin devices` lists them")
            }
            other => other.into(),
        })
}

/// Grants a role.
pub async fn grant(
    state: &AppState,
    user: &UserId,
    project: &ProjectId,
    role: Role,
    contractor: Option<ContractorId>,
) -> anyhow::Result<()> {
    let membership = Membership {
        project: project.clone(),
        role,
        contractor,
    };
    check_membership(state, &membership).await?;
    Ok(state.store.set_membership(user, membership).await?)
}

/// A role can only be in a project the server holds, and a contractor's only for one of that
/// project's companies; anything else is refused rather than stored silently.
async fn check_membership(state: &AppState, m: &Membership) -> anyhow::Result<()> {
    let Some(project) = load_project(state, &m.project).await? else {
        anyhow::bail!(
            "there is no project `{}` on this server; the projects are: {}",
            m.project,
            project_ids(state).await?
        );
    };
    match (&m.contractor, m.role) {
        (None, Role::Contractor) => {
            anyhow::bail!("a contractor account needs --contractor <company id>")
        }
        (Some(c), Role::Contractor) => anyhow::ensure!(
            project.contractors.iter().any(|x| &x.id == c),
            "project `{}` has no contractor `{c}`; its contractors are: {}",
            m.project,
            project
                .contractors
                .iter()
                .map(|x| x.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (Some(c), role) => anyhow::bail!(
            "only a contractor account names a company; a {} does not (`{c}`)",
            role.label_en().to_lowercase()
        ),
        (None, _) => {}
    }
    Ok(())
}

/// The ids of the projects this server holds, for an error message.
async fn project_ids(state: &AppState) -> anyhow::Result<String> {
    let ids: Vec<String> = state
        .store
        .all_docs()
        .await?
        .into_iter()
        .filter_map(|d| match d {
            DocId::Project(p) => Some(p.to_string()),
            DocId::Unit(_) => None,
        })
        .collect();
    Ok(ids.join(", "))
}

/// Imports buildings and units into an existing project from CSV text (see [`crate::import`]
/// for the format and the rules).
///
/// Every row is checked first, against the project and against the unit documents already on
/// the server; when any row is bad the error is an [`ImportErrors`](crate::import::ImportErrors)
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

/// The project as its document holds it now, when it exists.
pub async fn load_project(
    state: &AppState,
    project: &ProjectId,
) -> anyhow::Result<Option<Project>> {
    let doc_id = DocId::Project(project.clone());
    let mut guard = state.docs.lock(&doc_id).await;
    let Some(loaded) = state.docs.get(&mut guard, &doc_id).await? else {
        return Ok(None);
    };
    ProjectDoc::load(&loaded.doc.save())
        .and_then(|doc| doc.project())
        .map(Some)
        .with_context(|| format!("reading the document of project `{project}`"))
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

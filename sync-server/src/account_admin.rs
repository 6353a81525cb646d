//! Accounts as an administrator changes them, from the command line (`plumbline-sync-server
//! admin …`) or the office's admin pages (`web::admin`): new people and their roles, one-time
//! enrollment codes for their devices, revoking a lost device. The secrets themselves (hashes,
//! tokens, codes) are made in [`crate::accounts`].

use plumbline_shared::doc::DocId;
use plumbline_shared::ids::{ContractorId, DeviceId, ProjectId, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use rand::Rng;

use crate::accounts::{hash_password, new_enrollment_code};
use crate::project_read::load_project;
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

//! Who acts: roles (DESIGN.md §1) and the [`Actor`] every operation carries.

use std::fmt;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{ContractorId, DeviceId, ProjectId, UserId};

/// A person's role at the complaint center. Roles are granted per project.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 投诉代表: complaint representative / inspector.
    #[autosurgeon(rename = "inspector")]
    Inspector,
    /// 经理: center manager.
    #[autosurgeon(rename = "manager")]
    Manager,
    /// 总协调员 / 组长: general coordinator / team leader; sets and approves fines.
    #[autosurgeon(rename = "coordinator")]
    Coordinator,
    /// 前台接待员: front-desk receptionist.
    #[autosurgeon(rename = "front_desk")]
    FrontDesk,
    /// 客户代表: customer representative.
    #[autosurgeon(rename = "customer_rep")]
    CustomerRep,
    /// 施工单位: a contractor's site foreman.
    #[autosurgeon(rename = "contractor")]
    Contractor,
    /// 管理员: administrator.
    #[autosurgeon(rename = "admin")]
    Admin,
}

impl Role {
    /// Every role, in the order DESIGN.md lists them.
    pub const ALL: [Role; 7] = [
        Role::Inspector,
        Role::Manager,
        Role::Coordinator,
        Role::FrontDesk,
        Role::CustomerRep,
        Role::Contractor,
        Role::Admin,
    ];

    /// The stable machine name (`inspector`, `front_desk`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Inspector => "inspector",
            Role::Manager => "manager",
            Role::Coordinator => "coordinator",
            Role::FrontDesk => "front_desk",
            Role::CustomerRep => "customer_rep",
            Role::Contractor => "contractor",
            Role::Admin => "admin",
        }
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Inspector => "投诉代表",
            Role::Manager => "经理",
            Role::Coordinator => "总协调员",
            Role::FrontDesk => "前台接待员",
            Role::CustomerRep => "客户代表",
            Role::Contractor => "施工单位",
            Role::Admin => "管理员",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::Inspector => "Complaint representative",
            Role::Manager => "Center manager",
            Role::Coordinator => "Coordinator",
            Role::FrontDesk => "Front desk",
            Role::CustomerRep => "Customer representative",
            Role::Contractor => "Contractor",
            Role::Admin => "Administrator",
        }
    }

    /// Parses the machine name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role a person holds in one project: what the server keeps per account and what a device
/// learns of its person when it enrolls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The project.
    pub project: ProjectId,
    /// The role in it.
    pub role: Role,
    /// The contractor company, for the contractor role.
    #[serde(default)]
    pub contractor: Option<ContractorId>,
}

/// Who is behind an authenticated device: what the server knows of a device once it has
/// checked its token, and what [`crate::validate`] checks a device's changes against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// The device.
    pub device: DeviceId,
    /// The person.
    pub user: UserId,
    /// Their display name.
    pub display_name: String,
    /// Their roles, per project.
    pub memberships: Vec<Membership>,
}

impl Identity {
    /// The user's membership in `project`, if any.
    pub fn membership(&self, project: &ProjectId) -> Option<&Membership> {
        self.memberships.iter().find(|m| &m.project == project)
    }
}

/// Who performs an operation: the person, in which role, on which device.
///
/// Every event records its actor. The device id is also the automerge actor id of the change,
/// which is how a conflicting field value is traced back to the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Actor {
    /// The person.
    pub user: UserId,
    /// The role they act in.
    pub role: Role,
    /// The device (or server instance) the change was made on.
    pub device: DeviceId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_roundtrip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(Role::parse("boss"), None);
    }
}

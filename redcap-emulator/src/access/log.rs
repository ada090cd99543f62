//! The project log rows REDCap 15.7.6 writes for user, role and DAG
//! changes: the per-item rows of `UserRights` (`addPrivileges`,
//! `updatePrivileges`, `removePrivileges`, `addRole`, `editRole`,
//! `removeRole`, `updateUserRoleMapping`) and `DataAccessGroups`
//! (`updateUserDAGMapping`), and the writer of the `MANAGE` row each API
//! handler adds (which row, is in the method table, `methods.rs`).

use crate::activity::journal::{self, Entry};
use crate::context::Ctx;
use crate::reply::ApiError;

/// `redcap_user_rights`: users, role creation/deletion and assignments;
/// the object type `logtype=user` selects.
const USER_RIGHTS: &str = "redcap_user_rights";

fn row(
    ctx: &Ctx<'_>,
    event: &str,
    object_type: &str,
    pk: &str,
    data_values: String,
    description: &str,
) -> Result<(), ApiError> {
    journal::write(
        ctx,
        &Entry {
            event,
            object_type,
            pk,
            event_name: "",
            data_values,
            description,
        },
    )
}

/// A user given access (`INSERT`, "Add user").
pub(crate) fn user_added(ctx: &Ctx<'_>, username: &str) -> Result<(), ApiError> {
    let values = format!("user = '{username}'");
    row(ctx, "INSERT", USER_RIGHTS, username, values, "Add user")
}

/// A user's own rights changed (`UPDATE`, "Edit user").
pub(crate) fn user_edited(ctx: &Ctx<'_>, username: &str) -> Result<(), ApiError> {
    let values = format!("user = '{username}'");
    row(ctx, "UPDATE", USER_RIGHTS, username, values, "Edit user")
}

/// A user removed from the project (`DELETE`, "Delete user").
pub(crate) fn user_deleted(ctx: &Ctx<'_>, username: &str) -> Result<(), ApiError> {
    let values = format!("user = '{username}'");
    row(ctx, "DELETE", USER_RIGHTS, username, values, "Delete user")
}

/// A role created (`INSERT`, "Add role"); REDCap's key is the (empty)
/// user of the role form.
pub(crate) fn role_added(ctx: &Ctx<'_>, label: &str) -> Result<(), ApiError> {
    let values = format!("role = '{label}'");
    row(ctx, "INSERT", USER_RIGHTS, "", values, "Add role")
}

/// A role's rights or label changed (`UPDATE` on `redcap_user_roles`,
/// "Edit role"), keyed by role id.
pub(crate) fn role_edited(ctx: &Ctx<'_>, role_id: i64, label: &str) -> Result<(), ApiError> {
    let values = format!("role = '{label}'");
    let pk = role_id.to_string();
    row(ctx, "UPDATE", "redcap_user_roles", &pk, values, "Edit role")
}

/// A role deleted (`DELETE`, "Delete role"), keyed by role id.
pub(crate) fn role_deleted(ctx: &Ctx<'_>, role_id: i64, label: &str) -> Result<(), ApiError> {
    let values = format!("role = '{label}'");
    let pk = role_id.to_string();
    row(ctx, "DELETE", USER_RIGHTS, &pk, values, "Delete role")
}

/// A user put in a role, or out of any (`role = ''`), by a role
/// assignment import (`INSERT`, "Assign user to role").
pub(crate) fn user_role(ctx: &Ctx<'_>, username: &str, role_label: &str) -> Result<(), ApiError> {
    let values = format!("user = '{username}',\nrole = '{role_label}'");
    row(
        ctx,
        "INSERT",
        USER_RIGHTS,
        username,
        values,
        "Assign user to role",
    )
}

/// A user put in a group ("Assign user to data access group") or taken
/// out of one ("Remove user from data access group") by a user or role
/// assignment import, logged with the unique group name.
pub(crate) fn user_rights_group(
    ctx: &Ctx<'_>,
    username: &str,
    group: &str,
    assigned: bool,
) -> Result<(), ApiError> {
    let values = format!("user = '{username}',\ngroup = '{group}'");
    let description = if assigned {
        "Assign user to data access group"
    } else {
        "Remove user from data access group"
    };
    row(ctx, "MANAGE", USER_RIGHTS, username, values, description)
}

/// A user-DAG assignment import's row per user, with the group's label
/// (empty for no group); REDCap uses the same description either way.
pub(crate) fn user_group(ctx: &Ctx<'_>, username: &str, group_label: &str) -> Result<(), ApiError> {
    let values = format!("user = '{username}',\ngroup = '{group_label}'");
    row(
        ctx,
        "MANAGE",
        "redcap_data_access_groups_users",
        username,
        values,
        "Assign user to data access group",
    )
}

/// An API handler's own `MANAGE` row, keyed by the project id.
pub(crate) fn handler(
    ctx: &Ctx<'_>,
    object_type: &str,
    data_values: String,
    description: &str,
) -> Result<(), ApiError> {
    let pid = ctx.project.id.to_string();
    row(ctx, "MANAGE", object_type, &pid, data_values, description)
}

//! `content=attachment`: the file attached to a descriptive field. The
//! project schema does not carry attachments, so every descriptive field
//! answers REDCap's "does not have an attachment" error.

use crate::context::Ctx;
use crate::layout::Layout;
use crate::reply::{ApiError, Reply};
use crate::rights::NO_ACCESS_EXPORT;
use redcap_schema::FieldType;

/// `content=attachment` (`API/attachment/export.php`).
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let layout = Layout::new(&ctx.project.schema);
    let name = ctx.params.get("field").unwrap_or_default();
    if crate::files::export_level(&ctx.user.rights, &ctx.project.schema) == 0 {
        return Err(ApiError::forbidden(NO_ACCESS_EXPORT));
    }
    let field = layout
        .field(name)
        .ok_or_else(|| ApiError::bad("Invalid field"))?;
    if field.field_type != FieldType::Descriptive {
        return Err(ApiError::bad(format!(
            "The field '{name}' is not a 'descriptive' field"
        )));
    }
    Err(ApiError::bad(format!(
        "The field '{name}' does not have an attachment."
    )))
}

//! The office web's words, in Chinese (the default) and English.
//!
//! A typed catalogue rather than message files: every label is a [`Msg`] variant with both
//! languages next to each other, so a missing translation is a compile error, not a blank on a
//! page, and the pages need no run-time lookup. Domain labels (statuses, severities, roles)
//! come from `plumbline_shared`, where the devices use the same words.

use plumbline_shared::catalogue;
/// The page language, from the `lang` cookie; Chinese unless English was chosen (the same
/// type the app uses).
pub use plumbline_shared::lang::Lang;

catalogue! {
    AppName => "铅垂线 · 客户投诉中心", "Plumbline · Customer Complaint Center";
    SignIn => "登录", "Sign in";
    SignOut => "退出", "Sign out";
    Login => "账号", "Login";
    Password => "密码", "Password";
    BadCredentials => "账号或密码不正确。", "The login or the password is wrong.";
    Locked => "登录失败次数过多，请稍后再试。", "Too many failed sign-ins; try again later.";
    FormExpired => "表单已过期，请重新提交。", "This form has expired; please submit it again.";
    Cases => "案件", "Cases";
    Origin => "来源", "Origin";
    From => "登记日期从", "Recorded from";
    To => "至", "to";
    Queues => "待办队列", "Queues";
    ByStatus => "按状态", "By status";
    QueueOverdue => "响应或整改逾期", "Response or repair overdue";
    QueueEmergencyRequired => "需启动应急维修", "Emergency repair needed";
    QueueEmergencyRunning => "应急维修进行中", "Emergency repairs running";
    QueueCallbacksDue => "已验收待回访", "Accepted, callback due";
    QueueReview => "冲突与异常待核查", "Conflicts and anomalies to review";
    QueueEvidence => "待补充证据", "More evidence requested";
    QueueUrgent => "紧急投诉（S1）待派单", "Emergencies (S1) awaiting a notice";
    QueueDuplicates => "疑似重复", "Probable duplicates";
    Intake => "登记投诉", "Record a complaint";
    Building => "楼栋", "Building";
    UnitLabel => "房号（如 1-1201）", "Unit (e.g. 1-1201)";
    Owner => "业主", "Owner";
    OwnerName => "业主姓名", "Owner's name";
    OwnerPhone => "联系电话", "Phone number";
    Urgency => "紧急程度", "Urgency";
    ItemDefault => "按检查项默认", "The item's default";
    Urgent => "紧急", "urgent";
    MergeTitle => "合并重复案件", "Merge duplicates";
    DuplicatesHint => "同一房号、房间和检查项在 24 小时内还登记了以下案件，可能是同一问题：", "These cases of the same unit, room and item were recorded within 24 hours of this one and may be the same defect:";
    KeepThis => "保留本案件，将对方合并进来", "Keep this case; merge the other into it";
    KeepOther => "保留对方，将本案件合并过去", "Keep the other case; merge this one into it";
    Merge => "合并", "Merge";
    MergedInto => "本案件已合并到：", "This case was merged into:";
    MergedFrom => "已合并到本案件的案件：", "Cases merged into this one:";
    PhotosMissing => "照片尚未上传", "Photos not uploaded yet";
    Dashboard => "工作台", "Dashboard";
    OtherLanguage => "English", "中文";
    // Administration (web/admin/).
    Admin => "管理", "Administration";
    AdminOnly => "只有管理员可以使用管理页面。", "Only administrators may use the administration pages.";
    UsersAndRoles => "用户与角色", "Users and roles";
    Devices => "设备", "Devices";
    ProjectsAndUnits => "项目与房屋", "Projects and units";
    ChecklistTemplate => "检查模板", "Checklist template";
    Role => "角色", "Role";
    RolesByProject => "各项目角色", "Roles by project";
    DisplayName => "姓名", "Name";
    AddUser => "新增用户", "Add a user";
    InitialPassword => "初始密码（至少 8 位）", "Initial password (8 characters or more)";
    ContractorCompany => "施工单位（仅施工单位账号）", "Company (contractor accounts only)";
    NoCompany => "无", "none";
    ChangeRole => "更改角色", "Change the role";
    NoUsers => "还没有用户。", "No users yet.";
    CreateCode => "生成注册码", "Create an enrollment code";
    EnrollmentCode => "设备注册码", "Enrollment code";
    CodeOnce => "此注册码只能使用一次，且只在本页显示这一次。请用手机扫描二维码，或在应用的登记页面输入服务器地址和注册码。", "This code works once and is shown only on this page. Scan the QR code with the phone, or type the server address and the code on the app's enroll screen.";
    ServerAddress => "服务器地址", "Server address";
    CodeExpires => "有效期至", "Valid until";
    QrContent => "二维码内容", "QR code content";
    NoDevices => "还没有已登记的设备。", "No devices enrolled yet.";
    DeviceName => "设备名称", "Device name";
    DeviceId => "设备编号", "Device id";
    Enrolled => "登记时间", "Enrolled";
    LastSeen => "最近联系", "Last seen";
    NeverSeen => "从未", "never";
    Active => "正常", "Active";
    Revoked => "已注销", "Revoked";
    Revoke => "注销设备", "Revoke";
    Buildings => "楼栋", "Buildings";
    Units => "户数", "Units";
    Floors => "层数", "Floors";
    ImportUnits => "导入楼栋和房屋", "Import buildings and units";
    ImportHelp => "UTF-8 编码的 CSV 文件，不超过 1 MiB；有问题的行会逐行列出，且不会导入任何数据。表头：", "A UTF-8 CSV file of at most 1 MiB; bad rows are listed by line and then nothing is imported. Header:";
    Preview => "预览", "Preview";
    Import => "导入", "Import";
    ImportPreviewed => "预览：文件没有问题，尚未导入。", "Preview: the file is fine; nothing imported yet.";
    Imported => "已导入。", "Imported.";
    ImportRefused => "文件有问题，没有导入任何数据。请修改以下各行后重新上传：", "The file has problems, so nothing was imported. Fix these lines and upload it again:";
    Line => "行", "Line";
    Problem => "问题", "Problem";
    TemplateVersion => "版本", "Version";
    Reference => "依据", "Reference";
    DefaultSeverity => "默认严重程度", "Default severity";
    AppliesTo => "适用", "Applies to";
    Meaning => "含义", "Meaning";
    RectifyDays => "建议整改天数", "Proposed days to repair";
    Project => "项目", "Project";
    Unit => "房号", "Unit";
    Room => "房间", "Room";
    Item => "检查项", "Item";
    Category => "类别", "Category";
    Severity => "严重程度", "Severity";
    Status => "状态", "Status";
    Contractor => "施工单位", "Contractor";
    Description => "问题描述", "Description";
    Recorded => "登记时间", "Recorded";
    Deadline => "整改期限", "Repair deadline";
    Overdue => "超期", "Overdue";
    OnlyOverdue => "只看超期", "Overdue only";
    Search => "搜索描述", "Search descriptions";
    Filter => "筛选", "Filter";
    Any => "全部", "Any";
    NoCases => "没有符合条件的案件。", "No cases match.";
    Previous => "上一页", "Previous";
    Next => "下一页", "Next";
    PageOf => "第 {page} 页，共 {total} 条", "Page {page}, {total} cases";
    ExportCsv => "导出 CSV", "Export CSV";
    ExportXlsx => "导出 Excel", "Export to Excel";
    Timeline => "处理记录", "Timeline";
    Photos => "照片", "Photos";
    NotArrived => "尚未上传", "Not uploaded yet";
    Notice => "整改通知", "Rectification notice";
    IssueNotice => "下发整改通知单", "Issue a rectification notice";
    RepairDays => "整改天数", "Days to repair";
    PrintNotice => "打印整改通知单", "Print the notice";
    Callback => "回访", "Callback";
    RecordCallback => "记录回访", "Record a callback";
    RecordStep => "记录处理步骤", "Record a step";
    Step => "步骤", "Step";
    StepText => "说明（原因/回复/队伍）", "Text (reason, reply, team)";
    CostYuan => "费用（元）", "Cost (yuan)";
    EvidenceReason => "补充证据原因", "Evidence needed because";
    NotADefect => "不属于缺陷", "Not a defect";
    Channel => "方式", "Channel";
    Phone => "电话", "Phone";
    Visit => "上门", "Visit";
    Satisfaction => "满意度", "Satisfaction";
    Note => "备注", "Note";
    Save => "保存", "Save";
    Forbidden => "您的角色不能执行此操作。", "Your role may not do this.";
    NotFound => "找不到该记录。", "Not found.";
    Who => "操作人", "By";
    When => "时间", "When";
    DeviceTime => "设备时间", "Device time";
    ServerTime => "服务器接收时间", "Server time";
    Anomalies => "异常", "Anomalies";
    Conflicts => "冲突的字段值", "Conflicting field values";
    ResponseDue => "响应期限（4小时）", "Response due (4 h)";
    NoticeTitle => "工程整改通知单", "Rectification notice";
    NoticeNo => "编号", "Number";
    Issued => "下发时间", "Issued";
    ReplyLine => "施工单位回复（签字）：", "Contractor's reply (signature):";
    QueueFines => "罚款单待审批", "Fine slips awaiting approval";
    Fines => "罚款单", "Fine slips";
    NoFines => "本案件没有罚款单。", "No fine slips on this case.";
    DraftFine => "开具罚款单", "Draft a fine slip";
    FineTitle => "罚款单", "Fine slip";
    FineNo => "罚款单编号", "Fine slip no.";
    PrintFine => "打印罚款单", "Print the fine slip";
    PenaltyCondition => "处罚条件", "Penalty condition";
    AmountYuan => "金额（元）", "Amount (yuan)";
    FineMinimum => "不低于 5,000 元", "at least 5,000 yuan";
    NoPenaltyHolds => "本案件目前没有成立的处罚条件，不能开具罚款单。", "No penalty condition holds on this case, so no fine slip can be drafted.";
    FineAwaitingLeader => "待组长审批", "Awaiting the team leader";
    FineAwaitingManager => "待经理审批", "Awaiting the manager";
    FineApproved => "已审批", "Approved";
    FineVoided => "已作废", "Voided";
    Approvals => "审批", "Approvals";
    ApprovalLeader => "组长（总协调员）审批", "Team leader's approval";
    ApprovalManager => "经理审批", "Manager's approval";
    Approve => "通过", "approve";
    Pending => "待审批", "Pending";
    VoidFine => "作废", "Void";
    VoidReason => "作废原因", "Reason for voiding";
    VoidMark => "作　废", "VOID";
    Defect => "问题", "Defect";
    AmountFigures => "金额（小写）", "Amount (figures)";
    AmountCapital => "金额（大写）", "Amount (Chinese capitals)";
    DraftedBy => "开具", "Drafted by";
    Copies => "抄送", "Copies to";
    ContractorSignLine => "施工单位签收（签字）：", "Received by the contractor (signature):";
    Claims => "业主索赔", "Owner claims";
    NoClaims => "本案件没有索赔。", "No claims on this case.";
    RecordClaim => "登记索赔", "Record a claim";
    Damage => "损失内容", "What was damaged";
    ClaimedYuan => "索赔金额（元）", "Claimed (yuan)";
    AgreedYuan => "确认金额（元）", "Agreed (yuan)";
    PaidYuan => "已付金额（元）", "Paid (yuan)";
    AgreeClaim => "确认金额", "Agree the amount";
    PayClaim => "登记已支付", "Mark paid";
    ClaimAwaitingAgreement => "待确认金额", "Awaiting agreement";
    ClaimAwaitingPayment => "待支付", "Awaiting payment";
    ClaimPaid => "已支付", "Paid";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_by_default_english_on_request() {
        assert_eq!(Lang::default(), Lang::Zh);
        assert_eq!(Lang::parse("en"), Lang::En);
        assert_eq!(Lang::parse("fr"), Lang::Zh);
        assert_eq!(Msg::SignIn.text(Lang::Zh), "登录");
        assert_eq!(Msg::SignIn.text(Lang::En), "Sign in");
    }
}

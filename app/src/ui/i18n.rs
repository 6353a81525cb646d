//! The app's words, in Chinese (the default) and English.
//!
//! A typed catalogue, like the office web's: each [`Msg`] holds both languages side by side,
//! so a missing translation does not compile and a screen needs no run-time lookup. Domain
//! labels (statuses, severities, rooms, items, categories) come from `plumbline_shared` and the
//! checklist template, so the phone and the office use the same words.

use plumbline_shared::catalogue;
pub use plumbline_shared::lang::Lang;

catalogue! {
    AppName => "Plumbline 验房", "Plumbline inspections";
    Back => "返回", "Back";
    TabUnits => "单元", "Units";
    TabTasks => "我的任务", "My tasks";
    TabSync => "同步", "Sync";
    TabSettings => "设置", "Settings";
    OtherLanguage => "English", "中文";

    EnrollTitle => "登记本机", "Enroll this phone";
    EnrollHint => "输入服务器地址和办公室给您的一次性登记码。", "Enter the server address and the one-time code the office gave you.";
    ServerAddress => "服务器地址", "Server address";
    EnrollCode => "登记码", "Enrollment code";
    EnrollButton => "登记", "Enroll";
    EnrollLinkHint => "也可以粘贴登记二维码中的链接（plumbline://enroll…），服务器地址会自动填入。", "You can also paste the link from the enrollment QR code (plumbline://enroll…); it carries the server address.";
    Enrolling => "正在登记…", "Enrolling…";
    ScanEnrollCode => "拍摄或选择登记二维码", "Photograph or pick the enrollment QR code";
    Scanning => "正在识别二维码…", "Reading the QR code…";
    ErrScanNoCode => "图片中没有识别到二维码。请对准办公室显示的登记二维码，拍得完整清晰后再试。", "No QR code could be read in the picture. Photograph the enrollment code the office shows, whole and sharp, and try again.";
    ErrScanNotEnrollment => "这个二维码不是 Plumbline 的登记码，请扫描办公室“设备登记”页面上的二维码。", "This QR code is not a Plumbline enrollment code; scan the one on the office's device enrollment page.";
    Language => "语言", "Language";

    Projects => "项目", "Projects";
    MyAssignments => "我的验房安排", "My inspection assignments";
    Notifications => "通知", "Notifications";
    Unread => "未读", "unread";
    Today => "今天", "today";
    NoProjects => "本机还没有项目。请先同步。", "No projects on this phone yet. Sync first.";
    Building => "楼栋", "Building";
    UnitsCount => "户", "units";
    Handover => "交付", "Handover";
    Floor => "层", "Floor";
    NotStarted => "未开始", "Not started";
    InProgress => "进行中", "In progress";
    OpenDefects => "有问题未关闭", "Open defects";
    AllPassed => "全部合格", "All passed";
    RepairsAccepted => "整改已验收", "Repairs accepted";
    NotOnDevice => "尚未同步到本机", "Not on this phone yet";

    Rooms => "房间", "Rooms";
    Findings => "问题", "Findings";
    Pass => "合格", "Pass";
    Defect => "问题", "Defect";
    NotApplicable => "不适用", "N/A";
    Checked => "已检", "checked";
    ItemsOf => "项", "items";
    ViewFinding => "查看问题", "View finding";

    NewFinding => "记录问题", "Record a defect";
    Room => "房间", "Room";
    Item => "检查项", "Check item";
    Category => "类别", "Category";
    Severity => "严重程度", "Severity";
    Description => "问题描述", "Description";
    DescriptionHint => "例如：卫生间地漏处渗水", "e.g. water seeps at the bathroom floor drain";
    Photos => "照片", "Photos";
    TakePhoto => "拍照 / 选择照片", "Take or choose a photo";
    FromFolder => "从相册选择", "Choose from the camera roll";
    NoPhotosInFolder => "相册中没有照片。", "No photos in the camera roll.";
    RemovePhoto => "删除", "Remove";
    ProcessingPhoto => "正在处理照片…", "Processing the photo…";
    Save => "保存", "Save";
    Cancel => "取消", "Cancel";
    DescriptionRequired => "请填写问题描述。", "Describe the defect.";
    Saved => "已保存到本机", "Saved on this phone";
    FloorPlan => "平面图", "Floor plan";
    PinHint => "点击平面图标出问题位置。位置随本条问题的照片一起保存。", "Tap the plan where the defect is. The pin is saved with this finding's photos.";
    PinPlaced => "已标出位置；再次点击可移动。", "Pin placed; tap again to move it.";
    ClearPin => "清除标记", "Clear the pin";

    NoFindings => "该单元没有记录问题。", "No findings in this unit.";
    Overdue => "已超期", "Overdue";
    ResponseOverdue => "4小时响应超时", "4-hour response missed";
    Conflict => "有冲突", "Conflict";
    ConflictingValues => "两人同时修改了此项，各自的值：", "Two people changed this field; their values:";
    EvidenceRequested => "办公室要求补充证据", "The office asks for more evidence";
    PhotoNotHere => "照片未下载", "Photo not downloaded";
    Timeline => "处理记录", "Timeline";
    Status => "状态", "Status";
    Contractor => "施工单位", "Contractor";
    Deadline => "整改期限", "Repair deadline";

    Reinspection => "复验", "Re-inspection";
    ReinspectHint => "施工单位已报修复完成。请到现场复验。", "The contractor reports the repair done. Check it on site.";
    AcceptRepair => "验收合格", "Accept the repair";
    RejectRepair => "验收不合格", "Reject the repair";
    Reason => "原因", "Reason";
    ReasonRequired => "不合格需填写原因。", "A rejection needs a reason.";

    MyTasks => "本单位的整改任务", "My company's repairs";
    NoTasks => "目前没有分配给本单位的整改任务。", "No repairs are assigned to your company.";
    OnSiteNow => "已到现场", "On site now";
    RepairDone => "修复完成", "Repair done";
    Dispute => "申诉", "Dispute";
    Note => "说明", "Note";
    TasksFetched => "任务更新于", "Tasks as of";
    QueuedActions => "待发送的操作", "Actions waiting to be sent";
    TasksNever => "尚未取得任务，请联网后同步。", "No task list yet: sync when there is a network.";
    Refresh => "刷新", "Refresh";
    Plan => "提交方案", "Plan presented";
    ActionQueued => "已记录，将在同步时发送", "Recorded; it is sent at the next sync";
    DisputeReasonRequired => "申诉需填写原因。", "A dispute needs a reason.";
    RepairPhotosRequired => "修复完成需附照片。", "A finished repair needs photos.";
    RespondBy => "响应期限", "Respond by";

    SyncTitle => "同步", "Sync";
    LastSync => "上次同步", "Last sync";
    Never => "从未同步", "Never";
    UnsyncedRecords => "未同步的记录", "Unsynced records";
    UnsyncedPhotos => "未上传的照片", "Photos not uploaded";
    AllSynced => "所有记录和照片都已在服务器上。", "Every record and photo is on the server.";
    SyncNow => "立即同步", "Sync now";
    Syncing => "正在同步…", "Syncing…";
    Records => "记录", "records";
    Failures => "问题", "Problems";
    SyncFailed => "同步失败", "The sync failed";
    RefusedByServer => "服务器拒收", "Refused by the server";
    SetAsideTitle => "已搁置的记录（服务器拒收）", "Work set aside (refused by the server)";
    SetAsideHint => "这些修改未被服务器接收，已从本单元移出，单元可继续同步。请导出后交给办公室处理。", "The server did not take these changes; they were moved out of the unit so it syncs on. Export them for the office.";
    SetAsideNew => "新问题", "New finding";
    SetAsideChanged => "修改问题", "Changed finding";
    SetAsideRounds => "检查记录", "Inspection rounds";
    SetAsideOther => "其他修改", "Other changes";
    Export => "导出", "Export";
    ExportedTo => "已导出到", "Exported to";
    SignedOutByServer => "本机已被服务器注销，请重新登记。未同步的记录仍保留在本机。", "The server no longer accepts this phone; enroll again. Unsynced work stays on the phone.";
    Uploading => "上传中", "uploading";
    Waiting => "等待中", "waiting";
    Failed => "失败", "failed";

    SettingsTitle => "设置", "Settings";
    Account => "账号", "Account";
    Person => "姓名", "Name";
    Device => "设备", "Device";
    Server => "服务器", "Server";
    Role => "角色", "Role";
    Storage => "存储空间", "Storage";
    StorageFree => "可用", "free";
    StorageLow => "空间不足，请同步上传照片或清理手机。", "Space is low: sync to upload photos, or free some space.";
    StorageFull => "空间已满，无法再拍照。", "The phone is full: no more photos can be taken.";
    PhotosLeft => "约可再拍", "room for about";
    PhotosUnit => "张照片", "photos";
    SignOut => "退出登录", "Sign out";
    SignOutHint => "退出后本机的记录和照片将被删除。", "Signing out deletes this phone's records and photos.";
    UnsyncedWarning => "以下内容尚未同步，退出将永久丢失：", "This work is not on the server yet and would be lost:";
    SyncFirst => "先同步", "Sync first";
    DiscardAndSignOut => "丢弃并退出", "Discard and sign out";
    StartedIn => "启动用时", "Started in";

    ErrOffline => "无法连接服务器。记录已保存在本机，有网络时会自动同步。", "The server cannot be reached. Your work is saved on the phone and syncs by itself when there is a network.";
    ErrUnauthorized => "服务器不再接受本机，请向办公室索取新的登记码。", "The server no longer accepts this phone; ask the office for a new enrollment code.";
    ErrRefused => "服务器拒绝了请求", "The server refused";
    ErrServerFailed => "服务器出现故障，稍后会自动重试。", "The server had a problem; the app tries again by itself.";
    ErrBadReply => "无法读取服务器的回复，可能需要更新应用。", "The server's reply could not be read; the app may need an update.";
    ErrNotEnrolled => "本机尚未登记。", "This phone is not enrolled yet.";
    ErrUnknownUnit => "该单元尚未同步到本机，请先同步。", "This unit is not on the phone yet; sync first.";
    ErrNoRole => "您在该项目中没有角色。", "You have no role in this project.";
    ErrStorageFull => "手机存储空间已满，请先同步上传照片或清理空间。", "The phone is full; sync to upload photos or free some space first.";
    ErrPhoto => "这张照片无法使用", "This photo cannot be used";
    ErrOwnerName => "请填写业主姓名", "Enter the owner's name";
    ErrOwnerPhone => "请填写正确的业主电话（11位手机号或座机号）", "Enter the owner's phone (an 11-digit mobile or a landline number)";
    ErrNoSignature => "业主尚未签字，请在签字框内用手指签名", "The owner has not signed yet; sign in the box with a finger";
    ErrSignatureTooLong => "签名过长，请清除后重签", "The signature is too long; clear it and sign again";
    ErrWalkListChanged => "问题清单刚刚有更新，请业主重新核对后再签字", "The list was just updated; let the owner check it again before signing";
    JointWalk => "业主陪验", "Owner's joint inspection";
    WalkIntro => "请业主逐条核对以下问题，确认无误后填写姓名、电话并签字。签字后清单不可更改。", "Ask the owner to check each defect below, then enter name and phone and sign. The signed list cannot be changed.";
    WalkListTitle => "本次陪验问题清单", "Defects on this walk";
    WalkNoFindings => "本户未发现问题", "No defects recorded in this unit";
    OwnerName => "业主姓名", "Owner's name";
    OwnerPhone => "业主电话", "Owner's phone";
    SignHere => "业主签字（请在框内手写签名）", "Owner's signature (sign in the box)";
    ClearSignature => "清除重签", "Clear";
    ConfirmSign => "确认签字", "Sign";
    WalkSigned => "业主已签字确认", "Signed by the owner";
    SignedWalks => "已签字的陪验记录", "Signed walks";
    WalkVersion => "版本", "Version";
    WalkAsSigned => "与签字时一致", "As signed";
    WalkChangedSince => "签字后已有变动，需重新签字", "Changed since signed; sign a new version";
    WalkHash => "校验码", "Hash";
    ErrLocal => "本机数据出错", "The phone's data failed";
    ErrNotSaved => "无法保存这条记录", "This record cannot be saved";
}

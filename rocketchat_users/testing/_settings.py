"""Server settings, default preferences and the default permission table.

Values are the defaults of server-behavior.md §11 (settings) and §12 (permissions); the
emulator's ``settings=`` argument overrides them by their real names.
"""

from __future__ import annotations

from typing import Any

DEFAULT_SETTINGS: dict[str, Any] = {
    "Site_Url": "",  # filled with the emulator's own URL at start
    "API_Default_Count": 50,
    "API_Upper_Count_Limit": 100,
    "API_Allow_Infinite_Count": True,
    "API_Apply_permission_view-outside-room_on_users-list": False,
    "API_Enable_Rate_Limiter": True,
    "API_Enable_Rate_Limiter_Limit_Calls_Default": 10,
    "API_Enable_Rate_Limiter_Limit_Time_Default": 60000,
    "Rate_Limiter_Limit_RegisterUser": 1,
    "API_Enable_CORS": False,
    "API_CORS_Origin": "*",
    "Accounts_RegistrationForm": "Public",
    "Accounts_RegistrationForm_SecretURL": "",
    "Accounts_ManuallyApproveNewUsers": False,
    "Accounts_EmailVerification": False,
    "Accounts_RequireNameForSignUp": True,
    "Accounts_Registration_Users_Default_Roles": "user",
    "Accounts_BlockedUsernameList": "",
    "Accounts_SystemBlockedUsernameList": "admin,administrator,system,user",
    "UTF8_User_Names_Validation": "[0-9a-zA-Z-_.]+",
    "Accounts_PasswordReset": True,
    "Accounts_Block_Failed_Login_Attempts_Enable": True,
    "Block_Multiple_Failed_Logins_By_User": True,
    "Block_Multiple_Failed_Logins_Attempts_Until_Block_by_User": 10,
    "Block_Multiple_Failed_Logins_Time_To_Unblock_By_User_In_Minutes": 5,
    "Block_Multiple_Failed_Logins_By_Ip": True,
    "Block_Multiple_Failed_Logins_Attempts_Until_Block_By_Ip": 50,
    "Block_Multiple_Failed_Logins_Time_To_Unblock_By_Ip_In_Minutes": 5,
    "Accounts_LoginExpiration": 90,
    "Accounts_Password_Policy_Enabled": True,
    "Accounts_Password_Policy_MinLength": 14,
    "Accounts_Password_Policy_MaxLength": -1,
    "Accounts_Password_Policy_ForbidRepeatingCharacters": True,
    "Accounts_Password_Policy_ForbidRepeatingCharactersCount": 3,
    "Accounts_Password_Policy_AtLeastOneLowercase": True,
    "Accounts_Password_Policy_AtLeastOneUppercase": True,
    "Accounts_Password_Policy_AtLeastOneNumber": True,
    "Accounts_Password_Policy_AtLeastOneSpecialCharacter": True,
    "Accounts_Password_History_Enabled": False,
    "Accounts_Password_History_Amount": 5,
    "Accounts_AllowUserProfileChange": True,
    "Accounts_AllowRealNameChange": True,
    "Accounts_AllowUsernameChange": True,
    "Accounts_AllowEmailChange": True,
    "Accounts_AllowPasswordChange": True,
    "Accounts_AllowUserAvatarChange": True,
    "Accounts_AllowUserStatusMessageChange": True,
    "Accounts_AllowPasswordChangeForOAuthUsers": False,
    "Accounts_AllowDeleteOwnAccount": False,
    "Accounts_AllowInvisibleStatusOption": True,
    "Accounts_AllowAnonymousRead": False,
    "Accounts_SearchFields": "username, name, bio, nickname",
    "Accounts_CustomFields": "",
    "Accounts_CustomFieldsToShowInUserInfo": "",
    "Accounts_SetDefaultAvatar": True,
    "Accounts_AvatarCacheTime": 3600,
    "Accounts_AvatarBlockUnauthenticatedAccess": True,
    "Accounts_AvatarExternalProviderUrl": "",
    "UI_Use_Name_Avatar": False,
    "Accounts_TwoFactorAuthentication_Enabled": True,
    "Accounts_TwoFactorAuthentication_By_TOTP_Enabled": True,
    "Accounts_TwoFactorAuthentication_By_Email_Enabled": True,
    "Accounts_TwoFactorAuthentication_By_Email_Auto_Opt_In": True,
    "Accounts_TwoFactorAuthentication_By_Email_Code_Expiration": 3600,
    "Accounts_TwoFactorAuthentication_Max_Invalid_Email_Code_Attempts": 5,
    "Accounts_TwoFactorAuthentication_RememberFor": 1800,
    "Accounts_TwoFactorAuthentication_Enforce_Password_Fallback": True,
    "Accounts_TwoFactorAuthentication_MaxDelta": 1,
    "Presence_broadcast_disabled": False,
    "Message_ErasureType": "Delete",
    # Emulator-only knobs, named like the server's env variables (§8.8, §8.9).
    "CREATE_TOKENS_FOR_USERS_SECRET": None,
    "SMTP_Configured": True,
    "UserData_EnableDownload": True,
}

# §11 Accounts_Default_User_Preferences_* (+ enableMobileRinging, §16): merged into me/login.
DEFAULT_PREFERENCES: dict[str, Any] = {
    "desktopNotifications": "all",
    "pushNotifications": "all",
    "emailNotificationMode": "mentions",
    "newRoomNotification": "door",
    "newMessageNotification": "chime",
    "notificationsSoundVolume": 100,
    "useEmojis": True,
    "convertAsciiEmoji": True,
    "autoImageLoad": True,
    "saveMobileBandwidth": True,
    "collapseMediaByDefault": False,
    "unreadAlert": True,
    "hideUsernames": False,
    "hideRoles": False,
    "displayAvatars": True,
    "hideFlexTab": False,
    "sendOnEnter": "normal",
    "enableAutoAway": True,
    "idleTimeLimit": 300,
    "sidebarShowFavorites": True,
    "sidebarShowUnread": False,
    "sidebarSortby": "activity",
    "sidebarViewMode": "medium",
    "sidebarDisplayAvatar": True,
    "sidebarGroupByType": True,
    "themeAppearence": "auto",
    "alsoSendThreadToChannel": "default",
    "showThreadsInMainChannel": False,
    "muteFocusedConversations": True,
    "notifyCalendarEvents": True,
    "enableMobileRinging": False,
    "omnichannelTranscriptEmail": False,
    "desktopNotificationRequireInteraction": False,
}

# §12: permission -> roles holding it by default.
_ADMIN_ONLY = (
    "create-user", "delete-user", "edit-other-user-info", "edit-other-user-password",
    "edit-other-user-avatar", "edit-other-user-active-status", "edit-other-user-e2ee",
    "edit-other-user-totp", "view-full-other-user-info", "view-other-user-channels",
    "logout-other-user", "user-generate-access-token", "assign-roles", "assign-admin-role",
    "view-all-teams", "send-mail", "bulk-register-user", "view-user-administration",
    "manage-moderation-actions",
    "view-moderation-console",
)
PERMISSIONS: dict[str, frozenset[str]] = {p: frozenset({"admin"}) for p in _ADMIN_ONLY}
PERMISSIONS.update({
    "create-personal-access-tokens": frozenset({"admin", "user"}),
    "api-bypass-rate-limit": frozenset({"admin", "bot", "app"}),
    "view-d-room": frozenset({"admin", "user", "bot", "app", "guest"}),
    "view-outside-room": frozenset({"admin", "owner", "moderator", "user"}),
})

# Role ids a fresh workspace knows (users.create rejects others, §8.2).
KNOWN_ROLES = frozenset({
    "admin", "user", "bot", "app", "guest", "anonymous", "moderator", "owner", "leader",
    "livechat-agent", "livechat-manager", "livechat-monitor", "livechat-guest",
})

"""The request schemas of Rocket.Chat 8.8.1's users routes, as data, with where each came from.

``SCHEMAS[route]`` is what the server's router checks before the handler runs: the query
string of a GET, the JSON body of a POST. ``_routing.validate`` applies it (``_ajv.check``) with
the router's error bodies and its query-parser limits.

Sources (facts only; nothing here is copied code):

- ``PKG``: npm ``@rocket.chat/rest-typings@8.8.1``, ``dist/v1/...`` — the validators the
  server imports (AJV instance per file: ``ajvQuery`` → coerce "array", ``ajv`` → coerce true).
- ``INLINE``: routes whose validator is written inline in ``apps/meteor/app/api/server/v1/
  users.ts`` and so is not in the package. Their shape is the request type the package
  declares for the route (``dist/v1/users.d.ts``, ``UsersEndpoints``) with
  ``additionalProperties: false`` as every 8.x users schema has it (server-behavior.md §1);
  lengths and enums come from the emulator's earlier notes (server-behavior.md §8).
- Error bodies and order: ``packages/http-router/src/Router.ts`` @05360738 (see ``_routing``).

Users routes the emulator serves without a schema: ``login``, ``logout``, ``me`` (not
users.* typed routes), and ``users.setAvatar`` multipart uploads (the route reads the form
itself; a JSON body is checked against its schema by the handler).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._ajv import Coercion, supported

PKG = "@rocket.chat/rest-typings@8.8.1 dist/v1/"
INLINE = "users.ts inline (8.x), shape from " + PKG + "users.d.ts"

Where = Literal["query", "body"]


@dataclass(frozen=True)
class RequestSchema:
    """One route's request schema: where it applies, the AJV instance, the schema, the source."""

    where: Where
    coerce: Coercion
    schema: Mapping[str, Any]
    source: str


def _obj(props: Mapping[str, Any], *required: str, closed: bool = True,
         **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": dict(props)}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    schema.update(extra)
    return schema


STR: Mapping[str, Any] = {"type": "string"}
STR1: Mapping[str, Any] = {"type": "string", "minLength": 1}
NSTR: Mapping[str, Any] = {"type": "string", "nullable": True}
BOOL: Mapping[str, Any] = {"type": "boolean"}
NBOOL: Mapping[str, Any] = {"type": "boolean", "nullable": True}
NUM: Mapping[str, Any] = {"type": "number"}
NNUM: Mapping[str, Any] = {"type": "number", "nullable": True}
OBJ: Mapping[str, Any] = {"type": "object"}
NOBJ: Mapping[str, Any] = {"type": "object", "nullable": True}
STRS: Mapping[str, Any] = {"type": "array", "items": STR}
NSTRS: Mapping[str, Any] = {"type": "array", "items": STR, "nullable": True}

# users.getAvatar / getPresence / getStatus / resetTOTP / resetE2EKey: getUserFromParams keys.
_TARGET = {"userId": STR, "username": STR, "user": STR}
_INFO_ALSO = {"includeUserRooms": STR, "fields": NSTR}

# UsersSetPreferenceParamsPOST.js: ``data``'s properties, all nullable. 8.8.1 has no
# ``messageViewMode`` (the official spec still lists it) and adds voipRingerVolume,
# statusVisibilityDenied, desktopNotificationVoiceCalls and utcOffset.
PREFERENCES: Mapping[str, Any] = {
    "newRoomNotification": NSTR, "newMessageNotification": NSTR, "clockMode": NNUM,
    "useEmojis": NBOOL, "convertAsciiEmoji": NBOOL,
    "alsoSendThreadToChannel": {"type": "string", "enum": ["default", "always", "never"],
                                "nullable": True},
    "saveMobileBandwidth": NBOOL, "collapseMediaByDefault": NBOOL, "autoImageLoad": NBOOL,
    "emailNotificationMode": NSTR, "unreadAlert": NBOOL, "masterVolume": NNUM,
    "notificationsSoundVolume": NNUM, "voipRingerVolume": NNUM, "desktopNotifications": NSTR,
    "pushNotifications": NSTR, "enableAutoAway": NBOOL, "highlights": NSTRS,
    "showThreadsInMainChannel": NBOOL, "desktopNotificationRequireInteraction": NBOOL,
    "hideUsernames": NBOOL, "hideRoles": NBOOL, "displayAvatars": NBOOL, "hideFlexTab": NBOOL,
    "sendOnEnter": NSTR, "language": NSTR, "sidebarShowFavorites": NBOOL,
    "sidebarShowUnread": NBOOL, "statusVisibilityDenied": STRS, "sidebarSortby": NSTR,
    "sidebarViewMode": NSTR, "sidebarDisplayAvatar": NBOOL, "sidebarGroupByType": NBOOL,
    "muteFocusedConversations": NBOOL,
    "dontAskAgainList": {"type": "array", "nullable": True, "items": _obj(
        {"action": STR, "label": STR}, closed=False)},
    "featuresPreview": {"type": "array", "nullable": True, "items": _obj(
        {"name": STR, "value": BOOL}, closed=False)},
    "themeAppearence": NSTR, "fontSize": NSTR, "receiveLoginDetectionEmail": NBOOL,
    "notifyCalendarEvents": NBOOL, "idleTimeLimit": NNUM, "omnichannelTranscriptEmail": NBOOL,
    "omnichannelTranscriptPDF": NBOOL, "omnichannelHideConversationAfterClosing": NBOOL,
    "enableMobileRinging": NBOOL, "mentionsWithSymbol": NBOOL,
    "desktopNotificationVoiceCalls": NBOOL, "utcOffset": NNUM,
}


def _q(schema: Mapping[str, Any], source: str, coerce: Coercion = "array") -> RequestSchema:
    return RequestSchema("query", coerce, supported(schema), source)


def _b(schema: Mapping[str, Any], source: str) -> RequestSchema:
    return RequestSchema("body", True, supported(schema), source)


def _info_branch(key: str) -> dict[str, Any]:
    return _obj({key: STR, **_INFO_ALSO}, key)


SCHEMAS: Mapping[str, RequestSchema] = {
    # ---- accounts ----------------------------------------------------------------------
    "users.create": _b(_obj({
        "email": STR, "name": STR, "password": STR, "username": STR, "active": NBOOL,
        "bio": NSTR, "nickname": NSTR, "statusText": NSTR, "roles": STRS,
        "joinDefaultChannels": NBOOL, "requirePasswordChange": NBOOL,
        "setRandomPassword": NBOOL, "sendWelcomeEmail": NBOOL, "verified": NBOOL,
        "customFields": OBJ, "fields": NSTR, "freeSwitchExtension": NSTR,
    }, "email", "name", "password", "username"), PKG + "users/UserCreateParamsPOST.js"),
    "users.register": _b(_obj({
        "username": STR, "name": NSTR, "email": STR, "pass": STR, "secret": NSTR,
        "reason": NSTR, "customFields": NOBJ,
    }, "username", "email", "pass"), PKG + "users/UserRegisterParamsPOST.js"),
    "users.update": _b(_obj({
        "userId": STR1, "confirmRelinquish": BOOL,
        "data": _obj({
            "email": NSTR, "name": NSTR, "password": NSTR, "username": NSTR, "bio": NSTR,
            "nickname": NSTR, "statusText": NSTR, "active": NBOOL, "roles": NSTRS,
            "requirePasswordChange": NBOOL, "setRandomPassword": NBOOL,
            "sendWelcomeEmail": NBOOL, "verified": NBOOL, "customFields": NOBJ,
            "status": NSTR, "freeSwitchExtension": NSTR,
        }),
    }, "userId", "data"), PKG + "users/UsersUpdateParamsPOST.js"),
    "users.updateOwnBasicInfo": _b(_obj({
        "data": _obj({
            "email": NSTR, "name": NSTR, "username": NSTR, "nickname": NSTR, "bio": NSTR,
            "statusType": NSTR, "statusText": NSTR, "currentPassword": NSTR,
            "newPassword": NSTR,
        }),
        "customFields": NOBJ,
    }, "data"), PKG + "users/UsersUpdateOwnBasicInfoParamsPOST.js"),
    "users.setActiveStatus": _b(_obj({
        "userId": STR, "activeStatus": BOOL, "confirmRelinquish": NBOOL,
    }, "userId", "activeStatus"), PKG + "users/UserSetActiveStatusParamsPOST.js"),
    # No minimum on daysIdle in 8.8.1: a negative number passes the schema.
    "users.deactivateIdle": _b(_obj({"daysIdle": NUM, "role": STR}, "daysIdle"),
                               PKG + "users/UserDeactivateIdleParamsPOST.js"),
    # users.d.ts: {userId, confirmRelinquish?}; the handler's getUserFromParams also takes a
    # username, so either key satisfies the schema (a body with neither is invalid-params).
    "users.delete": _b(_obj({"userId": STR, "username": STR, "confirmRelinquish": BOOL},
                            anyOf=[{"required": ["userId"]}, {"required": ["username"]}]),
                       INLINE),
    "users.deleteOwnAccount": _b(_obj({"password": STR, "confirmRelinquish": BOOL},
                                      "password"), INLINE),
    "users.forgotPassword": _b(_obj({"email": STR}, "email"), INLINE),
    "users.sendWelcomeEmail": _b(_obj({"email": {"type": "string", "format": "basic_email"}},
                                      "email"), PKG + "users/UsersSendWelcomeEmailParamsPOST.js"),
    "users.sendConfirmationEmail": _b(_obj({"email": STR}, "email"),
                                      PKG + "users/UsersSendConfirmationEmailParamsPOST.js"),
    "users.verifyEmail": _b(_obj({"token": STR}, "token"), INLINE),
    "sendInvitationEmail": _b(_obj({"emails": STRS}, "emails"), PKG + "invites.js"),
    "users.requestDataDownload": _q(_obj({"fullExport": NSTR}),
                                    PKG + "users/UsersRequestDataDownloadParamsGET.js"),
    "moderation.reportUser": _b(_obj({"userId": STR, "description": STR1},
                                     "userId", "description"),
                                PKG + "moderation/ModerationReportUserPOST.js"),
    "users.getPreferences": _q(_obj({}), INLINE),
    "users.setPreferences": _b(_obj({"userId": NSTR, "data": _obj(PREFERENCES)}, "data"),
                               PKG + "users/UsersSetPreferenceParamsPOST.js"),
    # ---- tokens, sessions, 2FA -----------------------------------------------------------
    # Not additionalProperties: false in 8.8.1: unknown keys pass.
    "users.logout": _b(_obj({"userId": NSTR}, closed=False),
                       PKG + "users/UserLogoutParamsPOST.js"),
    "users.logoutOtherClients": _b(_obj({}), INLINE),
    "users.removeOtherTokens": _b(_obj({}), INLINE),
    "users.createToken": _b(_obj({"userId": STR1, "secret": STR1}, "userId", "secret"),
                            INLINE),
    "users.generatePersonalAccessToken": _b(_obj({"tokenName": STR1, "bypassTwoFactor": BOOL},
                                                 "tokenName"), INLINE),
    "users.regeneratePersonalAccessToken": _b(_obj({"tokenName": STR1}, "tokenName"), INLINE),
    "users.getPersonalAccessTokens": _q(_obj({}), INLINE),
    "users.removePersonalAccessToken": _b(_obj({"tokenName": STR1}, "tokenName"), INLINE),
    "users.2fa.enableEmail": _b(_obj({}), INLINE),
    "users.2fa.disableEmail": _b(_obj({}), INLINE),
    "users.2fa.sendEmailCode": _b(_obj({"emailOrUsername": STR}, "emailOrUsername"),
                                  PKG + "users.js (Users2faSendEmailCodeSchema)"),
    "users.resetTOTP": _b(_obj(_TARGET), INLINE),
    "users.resetE2EKey": _b(_obj(_TARGET), INLINE),
    # ---- reading -------------------------------------------------------------------------
    "users.info": _q({"anyOf": [_info_branch(key) for key in (
        "userId", "username", "importId", "email", "freeSwitchExtension")]},
        PKG + "users/UsersInfoParamsGet.js"),
    "users.list": _q(_obj({
        "fields": NSTR, "query": NSTR, "count": NNUM, "offset": NNUM, "sort": NSTR,
        "email": {"type": "string", "minLength": 1, "nullable": True},
    }), PKG + "users/UsersListParamsGET.js"),
    "users.listByStatus": _q(_obj({
        "status": {"type": "string", "enum": ["active", "deactivated"]},
        "hasLoggedIn": NBOOL, "type": NSTR, "roles": NSTRS, "searchTerm": NSTR, "sort": NSTR,
        "count": NNUM, "offset": NNUM,
        "inactiveReason": {"type": "array", "items": {
            "type": "string", "enum": ["deactivated", "pending_approval", "idle_too_long"]}},
    }), PKG + "users/UsersListStatusParamsGET.js"),
    "users.autocomplete": _q(_obj({"selector": STR}, "selector"),
                             PKG + "users/UsersAutocompleteParamsGET.js", coerce=True),
    "users.checkUsernameAvailability": _q(
        _obj({"username": STR}, "username"),
        PKG + "users/UsersCheckUsernameAvailabilityParamsGET.js", coerce=True),
    "users.getUsernameSuggestion": _q(_obj({}), INLINE),
    "users.listTeams": _q(_obj({"userId": STR}, "userId"),
                          PKG + "users/UsersListTeamsParamsGET.js", coerce=True),
    "users.getStatus": _q(_obj(_TARGET), PKG + "users/UsersGetStatusParamsGET.js"),
    "users.getPresence": _q(_obj(_TARGET), PKG + "users/UsersGetPresenceParamsGET.js"),
    "users.setStatus": _b(_obj({
        **_TARGET, "status": {"type": "string", "enum": ["online", "away", "offline", "busy"]},
        "message": STR, "expiresAt": STR,
    }, anyOf=[{"required": ["status"]}, {"required": ["message"]}]),  # §8.6: one at least
        INLINE),
    "users.presence": _q(_obj({"from": NSTR, "ids": {"type": ["string", "array"],
                                                     "items": STR}}),
                         PKG + "users/UsersPresenceParamsGET.js"),
    # ---- avatars -------------------------------------------------------------------------
    # A JSON body of users.setAvatar (multipart uploads are read by the route itself).
    "users.setAvatar": _b(_obj({"userId": NSTR, "username": NSTR, "avatarUrl": NSTR}),
                          PKG + "users.js (UsersSetAvatarSchema)"),
    "users.getAvatar": _q(_obj(_TARGET), PKG + "users/UsersGetAvatarParamsGET.js"),
    # No ``user`` key in 8.8.1 (userId or username only).
    "users.resetAvatar": _b(_obj({"userId": NSTR, "username": NSTR}),
                            PKG + "users.js (UsersResetAvatarSchema)"),
    "users.getAvatarSuggestion": _q(_obj({}), INLINE),
}

# packages/http-router/src/parseQueryParams.ts: qs.parse(query, {arrayLimit: 500,
# throwOnLimitExceeded: true}); qs's default parameterLimit (1000) then throws too.
QUERY_ARRAY_LIMIT = 500
QUERY_PARAMETER_LIMIT = 1000

"""User preferences: read by get_preferences/me, sent by set_preferences."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from ._base import Model


class DontAskAgain(Model):
    """A warning the user chose not to see again (``dontAskAgainList`` item)."""

    action: str | None = None
    label: str | None = None


class FeaturePreview(Model):
    """A preview feature toggle (``featuresPreview`` item)."""

    name: str | None = None
    value: bool | None = None


class Preferences(Model):
    """Every preference key users.setPreferences accepts on Rocket.Chat 8.8.1.

    Also the request body of set_preferences: fields default to ``UNSET`` and only
    the fields given are sent. Decoded answers hold ``UNSET`` for keys the server left out.
    The keys are those of 8.8.1's schema (rest-typings ``UsersSetPreferenceParamsPOST``), which
    refuses any other: ``messageViewMode`` (in the official spec, gone from 8.8.1) is not here.
    """

    also_send_thread_to_channel: str | UnsetType | None = UNSET
    auto_image_load: bool | UnsetType | None = UNSET
    clock_mode: int | UnsetType | None = UNSET
    collapse_media_by_default: bool | UnsetType | None = UNSET
    convert_ascii_emoji: bool | UnsetType | None = UNSET
    desktop_notification_require_interaction: bool | UnsetType | None = UNSET
    desktop_notification_voice_calls: bool | UnsetType | None = UNSET
    desktop_notifications: str | UnsetType | None = UNSET
    display_avatars: bool | UnsetType | None = UNSET
    dont_ask_again_list: list[DontAskAgain] | UnsetType | None = UNSET
    email_notification_mode: str | UnsetType | None = UNSET
    enable_auto_away: bool | UnsetType | None = UNSET
    enable_mobile_ringing: bool | UnsetType | None = UNSET
    features_preview: list[FeaturePreview] | UnsetType | None = UNSET
    font_size: str | UnsetType | None = UNSET
    hide_flex_tab: bool | UnsetType | None = UNSET
    hide_roles: bool | UnsetType | None = UNSET
    hide_usernames: bool | UnsetType | None = UNSET
    highlights: list[str] | UnsetType | None = UNSET
    idle_time_limit: int | UnsetType | None = UNSET
    # Stored on the user document, merged into preferences by the server (§8.3).
    language: str | UnsetType | None = UNSET
    master_volume: float | UnsetType | None = UNSET
    mentions_with_symbol: bool | UnsetType | None = UNSET
    mute_focused_conversations: bool | UnsetType | None = UNSET
    new_message_notification: str | UnsetType | None = UNSET
    new_room_notification: str | UnsetType | None = UNSET
    notifications_sound_volume: int | UnsetType | None = UNSET
    notify_calendar_events: bool | UnsetType | None = UNSET
    omnichannel_hide_conversation_after_closing: bool | UnsetType | None = UNSET
    omnichannel_transcript_email: bool | UnsetType | None = UNSET
    omnichannel_transcript_pdf: bool | UnsetType | None = msgspec.field(
        default=UNSET, name="omnichannelTranscriptPDF"
    )
    push_notifications: str | UnsetType | None = UNSET
    receive_login_detection_email: bool | UnsetType | None = UNSET
    save_mobile_bandwidth: bool | UnsetType | None = UNSET
    send_on_enter: str | UnsetType | None = UNSET
    show_threads_in_main_channel: bool | UnsetType | None = UNSET
    # Not nullable in 8.8.1's schema, unlike every other key: set_preferences refuses None.
    status_visibility_denied: list[str] | UnsetType | None = UNSET
    sidebar_display_avatar: bool | UnsetType | None = UNSET
    sidebar_group_by_type: bool | UnsetType | None = UNSET
    sidebar_show_favorites: bool | UnsetType | None = UNSET
    sidebar_show_unread: bool | UnsetType | None = UNSET
    sidebar_sortby: str | UnsetType | None = UNSET
    sidebar_view_mode: str | UnsetType | None = UNSET
    # The server's spelling (§2.5).
    theme_appearence: str | UnsetType | None = UNSET
    unread_alert: bool | UnsetType | None = UNSET
    use_emojis: bool | UnsetType | None = UNSET
    voip_ringer_volume: float | UnsetType | None = UNSET
    # Hours, may be fractional (5.5); accepted by setPreferences from 8.6.
    utc_offset: float | UnsetType | None = UNSET

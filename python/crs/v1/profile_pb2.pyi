import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.type import timeofday_pb2 as _timeofday_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CheckoutChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHECKOUT_CHANNEL_UNSPECIFIED: _ClassVar[CheckoutChannel]
    CHECKOUT_CHANNEL_POS: _ClassVar[CheckoutChannel]
    CHECKOUT_CHANNEL_ECOMMERCE: _ClassVar[CheckoutChannel]
    CHECKOUT_CHANNEL_RECURRING: _ClassVar[CheckoutChannel]
    CHECKOUT_CHANNEL_IN_APP: _ClassVar[CheckoutChannel]
    CHECKOUT_CHANNEL_P2P: _ClassVar[CheckoutChannel]
    CHECKOUT_CHANNEL_MOTO: _ClassVar[CheckoutChannel]

class ContactChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTACT_CHANNEL_UNSPECIFIED: _ClassVar[ContactChannel]
    CONTACT_CHANNEL_EMAIL: _ClassVar[ContactChannel]
    CONTACT_CHANNEL_SMS: _ClassVar[ContactChannel]
    CONTACT_CHANNEL_PUSH: _ClassVar[ContactChannel]
    CONTACT_CHANNEL_WEBHOOK: _ClassVar[ContactChannel]

class ContactPurpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTACT_PURPOSE_UNSPECIFIED: _ClassVar[ContactPurpose]
    CONTACT_PURPOSE_PAYMENT_REMINDERS: _ClassVar[ContactPurpose]
    CONTACT_PURPOSE_SECURITY: _ClassVar[ContactPurpose]
    CONTACT_PURPOSE_MARKETING: _ClassVar[ContactPurpose]
    CONTACT_PURPOSE_SERVICE: _ClassVar[ContactPurpose]

class ProfileSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROFILE_SOURCE_UNSPECIFIED: _ClassVar[ProfileSource]
    PROFILE_SOURCE_CUSTOMER: _ClassVar[ProfileSource]
    PROFILE_SOURCE_CLUSTER: _ClassVar[ProfileSource]
    PROFILE_SOURCE_CUSTOMER_RECORD: _ClassVar[ProfileSource]
CHECKOUT_CHANNEL_UNSPECIFIED: CheckoutChannel
CHECKOUT_CHANNEL_POS: CheckoutChannel
CHECKOUT_CHANNEL_ECOMMERCE: CheckoutChannel
CHECKOUT_CHANNEL_RECURRING: CheckoutChannel
CHECKOUT_CHANNEL_IN_APP: CheckoutChannel
CHECKOUT_CHANNEL_P2P: CheckoutChannel
CHECKOUT_CHANNEL_MOTO: CheckoutChannel
CONTACT_CHANNEL_UNSPECIFIED: ContactChannel
CONTACT_CHANNEL_EMAIL: ContactChannel
CONTACT_CHANNEL_SMS: ContactChannel
CONTACT_CHANNEL_PUSH: ContactChannel
CONTACT_CHANNEL_WEBHOOK: ContactChannel
CONTACT_PURPOSE_UNSPECIFIED: ContactPurpose
CONTACT_PURPOSE_PAYMENT_REMINDERS: ContactPurpose
CONTACT_PURPOSE_SECURITY: ContactPurpose
CONTACT_PURPOSE_MARKETING: ContactPurpose
CONTACT_PURPOSE_SERVICE: ContactPurpose
PROFILE_SOURCE_UNSPECIFIED: ProfileSource
PROFILE_SOURCE_CUSTOMER: ProfileSource
PROFILE_SOURCE_CLUSTER: ProfileSource
PROFILE_SOURCE_CUSTOMER_RECORD: ProfileSource

class WalletMethod(_message.Message):
    __slots__ = ("provider", "reference")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    provider: str
    reference: str
    def __init__(self, provider: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class BankTransferMethod(_message.Message):
    __slots__ = ("account", "scheme")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    SCHEME_FIELD_NUMBER: _ClassVar[int]
    account: str
    scheme: str
    def __init__(self, account: _Optional[str] = ..., scheme: _Optional[str] = ...) -> None: ...

class BnplMethod(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class PaymentMethod(_message.Message):
    __slots__ = ("card_token", "account", "wallet", "bank_transfer", "bnpl")
    CARD_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    WALLET_FIELD_NUMBER: _ClassVar[int]
    BANK_TRANSFER_FIELD_NUMBER: _ClassVar[int]
    BNPL_FIELD_NUMBER: _ClassVar[int]
    card_token: str
    account: str
    wallet: WalletMethod
    bank_transfer: BankTransferMethod
    bnpl: BnplMethod
    def __init__(self, card_token: _Optional[str] = ..., account: _Optional[str] = ..., wallet: _Optional[_Union[WalletMethod, _Mapping]] = ..., bank_transfer: _Optional[_Union[BankTransferMethod, _Mapping]] = ..., bnpl: _Optional[_Union[BnplMethod, _Mapping]] = ...) -> None: ...

class QuietHours(_message.Message):
    __slots__ = ("start", "end", "time_zone")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    start: _timeofday_pb2.TimeOfDay
    end: _timeofday_pb2.TimeOfDay
    time_zone: str
    def __init__(self, start: _Optional[_Union[_timeofday_pb2.TimeOfDay, _Mapping]] = ..., end: _Optional[_Union[_timeofday_pb2.TimeOfDay, _Mapping]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class OptOut(_message.Message):
    __slots__ = ("channel", "purpose", "opt_back_in")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    OPT_BACK_IN_FIELD_NUMBER: _ClassVar[int]
    channel: ContactChannel
    purpose: ContactPurpose
    opt_back_in: bool
    def __init__(self, channel: _Optional[_Union[ContactChannel, str]] = ..., purpose: _Optional[_Union[ContactPurpose, str]] = ..., opt_back_in: _Optional[bool] = ...) -> None: ...

class ContactPreferences(_message.Message):
    __slots__ = ("channel_order", "quiet_hours", "opt_outs")
    CHANNEL_ORDER_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_FIELD_NUMBER: _ClassVar[int]
    OPT_OUTS_FIELD_NUMBER: _ClassVar[int]
    channel_order: _containers.RepeatedScalarFieldContainer[ContactChannel]
    quiet_hours: QuietHours
    opt_outs: _containers.RepeatedCompositeFieldContainer[OptOut]
    def __init__(self, channel_order: _Optional[_Iterable[_Union[ContactChannel, str]]] = ..., quiet_hours: _Optional[_Union[QuietHours, _Mapping]] = ..., opt_outs: _Optional[_Iterable[_Union[OptOut, _Mapping]]] = ...) -> None: ...

class PaymentThreshold(_message.Message):
    __slots__ = ("currency_code", "per_transaction_limit_minor", "daily_limit_minor", "effective_from", "effective_until")
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    PER_TRANSACTION_LIMIT_MINOR_FIELD_NUMBER: _ClassVar[int]
    DAILY_LIMIT_MINOR_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    currency_code: str
    per_transaction_limit_minor: int
    daily_limit_minor: int
    effective_from: _date_pb2.Date
    effective_until: _date_pb2.Date
    def __init__(self, currency_code: _Optional[str] = ..., per_transaction_limit_minor: _Optional[int] = ..., daily_limit_minor: _Optional[int] = ..., effective_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., effective_until: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class Profile(_message.Message):
    __slots__ = ("name", "default_payment_methods", "preferred_currency", "preferred_language", "contact_preferences", "payment_thresholds", "etag", "update_time")
    class DefaultPaymentMethodsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: PaymentMethod
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[PaymentMethod, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_PAYMENT_METHODS_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_THRESHOLDS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    default_payment_methods: _containers.MessageMap[str, PaymentMethod]
    preferred_currency: str
    preferred_language: str
    contact_preferences: ContactPreferences
    payment_thresholds: _containers.RepeatedCompositeFieldContainer[PaymentThreshold]
    etag: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., default_payment_methods: _Optional[_Mapping[str, PaymentMethod]] = ..., preferred_currency: _Optional[str] = ..., preferred_language: _Optional[str] = ..., contact_preferences: _Optional[_Union[ContactPreferences, _Mapping]] = ..., payment_thresholds: _Optional[_Iterable[_Union[PaymentThreshold, _Mapping]]] = ..., etag: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetProfileRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateProfileRequest(_message.Message):
    __slots__ = ("profile", "update_mask", "request_id")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    profile: Profile
    update_mask: _field_mask_pb2.FieldMask
    request_id: str
    def __init__(self, profile: _Optional[_Union[Profile, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetEffectiveProfileRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class EffectiveProfile(_message.Message):
    __slots__ = ("name", "cluster", "profile", "sources")
    class SourcesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ProfileSource
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ProfileSource, str]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    name: str
    cluster: str
    profile: Profile
    sources: _containers.ScalarMap[str, ProfileSource]
    def __init__(self, name: _Optional[str] = ..., cluster: _Optional[str] = ..., profile: _Optional[_Union[Profile, _Mapping]] = ..., sources: _Optional[_Mapping[str, ProfileSource]] = ...) -> None: ...

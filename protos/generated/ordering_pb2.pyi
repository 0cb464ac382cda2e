from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderItem(_message.Message):
    __slots__ = ("product_id", "quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    quantity: int
    def __init__(self, product_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class PlaceOrderRequest(_message.Message):
    __slots__ = ("items", "idempotency_key")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[OrderItem]
    idempotency_key: str
    def __init__(self, items: _Optional[_Iterable[_Union[OrderItem, _Mapping]]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("product_id", "product_name", "unit_price", "quantity", "subtotal")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    product_name: str
    unit_price: str
    quantity: int
    subtotal: str
    def __init__(self, product_id: _Optional[str] = ..., product_name: _Optional[str] = ..., unit_price: _Optional[str] = ..., quantity: _Optional[int] = ..., subtotal: _Optional[str] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("id", "user_id", "status", "lines", "total", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    status: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    total: str
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., status: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., total: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class OrderId(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("page", "page_size", "user_id")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    page: int
    page_size: int
    user_id: str
    def __init__(self, page: _Optional[int] = ..., page_size: _Optional[int] = ..., user_id: _Optional[str] = ...) -> None: ...

class OrderPage(_message.Message):
    __slots__ = ("items", "total", "page", "page_size")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Order]
    total: int
    page: int
    page_size: int
    def __init__(self, items: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., total: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ChangeStatusRequest(_message.Message):
    __slots__ = ("order_id", "status")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    status: str
    def __init__(self, order_id: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class UserId(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class Count(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SweepReport(_message.Message):
    __slots__ = ("ran", "expired_orders", "releases_done", "releases_waiting", "idempotency_keys_pruned", "stale_reservations_released")
    RAN_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_ORDERS_FIELD_NUMBER: _ClassVar[int]
    RELEASES_DONE_FIELD_NUMBER: _ClassVar[int]
    RELEASES_WAITING_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEYS_PRUNED_FIELD_NUMBER: _ClassVar[int]
    STALE_RESERVATIONS_RELEASED_FIELD_NUMBER: _ClassVar[int]
    ran: bool
    expired_orders: int
    releases_done: int
    releases_waiting: int
    idempotency_keys_pruned: int
    stale_reservations_released: int
    def __init__(self, ran: _Optional[bool] = ..., expired_orders: _Optional[int] = ..., releases_done: _Optional[int] = ..., releases_waiting: _Optional[int] = ..., idempotency_keys_pruned: _Optional[int] = ..., stale_reservations_released: _Optional[int] = ...) -> None: ...

class CartItemRequest(_message.Message):
    __slots__ = ("product_id", "quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    quantity: int
    def __init__(self, product_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class CartLine(_message.Message):
    __slots__ = ("product_id", "product_name", "unit_price", "quantity", "subtotal", "stock", "available")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    STOCK_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    product_name: str
    unit_price: str
    quantity: int
    subtotal: str
    stock: int
    available: bool
    def __init__(self, product_id: _Optional[str] = ..., product_name: _Optional[str] = ..., unit_price: _Optional[str] = ..., quantity: _Optional[int] = ..., subtotal: _Optional[str] = ..., stock: _Optional[int] = ..., available: _Optional[bool] = ...) -> None: ...

class Cart(_message.Message):
    __slots__ = ("lines", "total", "item_count")
    LINES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[CartLine]
    total: str
    item_count: int
    def __init__(self, lines: _Optional[_Iterable[_Union[CartLine, _Mapping]]] = ..., total: _Optional[str] = ..., item_count: _Optional[int] = ...) -> None: ...

class CheckoutRequest(_message.Message):
    __slots__ = ("idempotency_key",)
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    def __init__(self, idempotency_key: _Optional[str] = ...) -> None: ...

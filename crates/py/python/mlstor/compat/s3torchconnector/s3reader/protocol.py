from typing import Callable, Optional, Protocol, Union, runtime_checkable

GetStreamCallable = Callable[[Optional[int], Optional[int]], object]


class S3ReaderConstructorProtocol(Protocol):
    def __call__(self, bucket: str, key: str, get_object_info: Callable[[], object],
                 get_stream: GetStreamCallable) -> "object": ...


@runtime_checkable
class DCPS3ReaderConstructorProtocol(Protocol):
    def __call__(self, bucket: str, key: str, get_object_info: Callable[[], object],
                 get_stream: GetStreamCallable) -> "object": ...

    def set_item_ranges_by_file(self, plan_items, storage_data, base_path: Union[str, "object"]) -> None: ...

"""Writes torch_save_zip.bin the way torch.save(state_dict) does, without PyTorch,
and torch_save_zip_proto4.bin as torch.save(..., pickle_protocol=4) does.

CPython's own pickler (protocol 2, as torch.save uses) writes the pickle, so the
golden file holds the opcodes, memo use and global references a real
checkpoint has. Stand-in modules named torch and torch._utils provide the
globals; persistent_id turns storages into ('storage', class, key, 'cpu',
numel) as torch.serialization._save does.

Run from this folder: python3 mimic_torch_save.py
"""
import collections
import io
import pickle
import struct
import sys
import types
import zipfile

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch_tensor = types.ModuleType("torch._tensor")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils
sys.modules["torch._tensor"] = torch_tensor
torch._utils = torch_utils
torch._tensor = torch_tensor


def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called: this script only writes")


def _rebuild_parameter(*args):
    raise RuntimeError("never called: this script only writes")


def _rebuild_from_type_v2(*args):
    raise RuntimeError("never called: this script only writes")


_rebuild_from_type_v2.__module__ = "torch._tensor"
torch_tensor._rebuild_from_type_v2 = _rebuild_from_type_v2
_rebuild_tensor_v2.__module__ = "torch._utils"
_rebuild_parameter.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
torch_utils._rebuild_parameter = _rebuild_parameter


class Storage:
    def __init__(self, key, fmt, values):
        self.key, self.fmt, self.values = key, fmt, values

    def data(self):
        return struct.pack("<%d%s" % (len(self.values), self.fmt), *self.values)


for name in ("FloatStorage", "BFloat16Storage", "LongStorage"):
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls)


torch.Tensor = type("Tensor", (), {"__module__": "torch"})


class Tensor:
    def __init__(self, storage, kind, offset, size, stride):
        self.storage, self.kind = storage, kind
        self.offset, self.size, self.stride = offset, size, stride

    def __reduce_ex__(self, proto):
        args = (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict())
        return (_rebuild_tensor_v2, args)


class Parameter(Tensor):
    def __reduce_ex__(self, proto):
        t = Tensor(self.storage, self.kind, self.offset, self.size, self.stride)
        return (_rebuild_parameter, (t, True, collections.OrderedDict()))


class TensorWithState(Tensor):
    """A tensor with attributes: torch wraps its reduction in _rebuild_from_type_v2."""

    def __reduce_ex__(self, proto):
        func, args = Tensor.__reduce_ex__(self, proto)
        return (_rebuild_from_type_v2, (func, torch.Tensor, args, {"tag": 1}))


class Pickler(pickle.Pickler):
    kinds = {}

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", self.kinds[obj.key], obj.key, "cpu", len(obj.values))
        return None


def bf16(x):
    return struct.unpack("<I", struct.pack("<f", x))[0] >> 16


emb = Storage("0", "f", [float(i) for i in range(12)])     # (4, 3)
norm = Storage("1", "H", [bf16(1.0), bf16(-2.5)])          # bf16 (2,)
conv = Storage("2", "f", [float(10 + i) for i in range(6)])  # viewed as (3, 2) transposed
step = Storage("3", "q", [1234])
Pickler.kinds = {"0": torch.FloatStorage, "1": torch.BFloat16Storage, "2": torch.FloatStorage, "3": torch.LongStorage}

sd = collections.OrderedDict()
sd["backbone.embedding.weight"] = Parameter(emb, "f", 0, (4, 3), (3, 1))
sd["backbone.layers.0.norm.weight"] = Tensor(norm, "H", 0, (2,), (1,))
sd["backbone.layers.0.mixer.conv1d.weight"] = Tensor(conv, "f", 0, (3, 2), (1, 3))
sd["backbone.layers.0.mixer.D"] = Tensor(emb, "f", 3, (3,), (1,))
sd["step"] = TensorWithState(step, "q", 0, (), ())
sd["lm_head.weight"] = Tensor(emb, "f", 0, (4, 3), (3, 1))
sd._metadata = collections.OrderedDict([("", {"version": 1})])

for name, protocol in (("torch_save_zip.bin", 2), ("torch_save_zip_proto4.bin", 4)):
    buf = io.BytesIO()
    Pickler(buf, protocol=protocol).dump(sd)
    with zipfile.ZipFile(name, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("archive/data.pkl"), buf.getvalue())
        z.writestr(zipfile.ZipInfo("archive/byteorder"), "little")
        for s in (emb, norm, conv, step):
            z.writestr(zipfile.ZipInfo("archive/data/" + s.key), s.data())
        z.writestr(zipfile.ZipInfo("archive/version"), "3\n")

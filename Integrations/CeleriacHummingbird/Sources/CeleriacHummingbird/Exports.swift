@_exported import Celeriac
@_exported import CeleriacServiceLifecycle

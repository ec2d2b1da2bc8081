@_exported import Celeriac

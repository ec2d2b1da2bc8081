@_exported import CeleriacCore

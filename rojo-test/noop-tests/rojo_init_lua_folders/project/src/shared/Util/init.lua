local Util = {}

Util.Helper = require(script.Helper)

return Util

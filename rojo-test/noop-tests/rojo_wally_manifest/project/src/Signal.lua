local Signal = {}
return Signal

local speed = script:GetAttribute("Speed")
print(speed)

local UserInputService = game:GetService("UserInputService")

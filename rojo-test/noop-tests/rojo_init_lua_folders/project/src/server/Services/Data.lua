return { name = "Data" }

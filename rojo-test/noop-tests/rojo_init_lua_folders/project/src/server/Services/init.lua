local Services = {}
return Services

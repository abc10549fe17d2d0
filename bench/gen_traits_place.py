#!/usr/bin/env python3
"""Writes a synthetic Roblox XML place (.rbxlx) shaped like a real mid-size game.

usage: python3 bench/gen_traits_place.py [--out PATH] [--seed N] [--instances N]
           [--attributes N] [--tagged N] [--terrain-bytes N]

Defaults give the traits of "a 57k-instance game with 1 MB of terrain, 1,332
attributes and 16k tagged instances":

* --instances 57000: every <Item> in the file, services and Terrain included.
  About 62% sit in Workspace (Map/Zone folders of Models holding Parts,
  MeshParts, Decals and Scripts), 18% in ReplicatedStorage (ModuleScripts with
  Luau source; Folders of StringValue, NumberValue and ObjectValue, the
  ObjectValues pointing at Parts and Models), 3% in ServerScriptService
  (Scripts), 17% in StarterGui (ScreenGuis of Frames and TextLabels), plus a
  few Lighting effects.
* --terrain-bytes 1048576: Workspace.Terrain.SmoothGrid (BinaryString) holds
  this many random-looking bytes; MaterialColors is set too.
* --attributes 1332: attributes in all, 1 to 6 per instance, written in the
  AttributesSerialize binary format (string, bool, double, Vector3, Color3).
* --tagged 16000: instances with a Tags property (1 to 3 of 20 tag names).

Sibling names repeat the way they do in real games (many "Part" children,
several "Tree" models per zone). Output is byte-identical for a given seed and
set of options. Standard library only.
"""
import argparse
import base64
import math
import os
import random
import struct
import sys
import time

# --------------------------------------------------------------------------
# Instance tree
# --------------------------------------------------------------------------


class Node:
    __slots__ = ("cls", "ref", "props", "children", "attrs", "tags", "service")

    def __init__(self, cls, ref, props, service=False):
        self.cls = cls
        self.ref = ref
        self.props = props  # list of pre-rendered property XML strings (sorted later)
        self.children = []
        self.attrs = None  # list of (name, type, value)
        self.tags = None  # list of str
        self.service = service


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def cdata(s):
    return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def fmt(x):
    """Float text as Studio writes it: shortest form that round-trips the f32."""
    f = struct.unpack("<f", struct.pack("<f", x))[0]
    if f == int(f) and abs(f) < 1e15:
        return str(int(f))
    for digits in range(6, 10):
        s = "%.*g" % (digits, f)
        if struct.unpack("<f", struct.pack("<f", float(s)))[0] == f:
            return s
    return repr(f)


def p_string(name, value):
    return (name, '<string name="%s">%s</string>' % (name, xml_escape(value)))


def p_source(value):
    return ("Source", '<ProtectedString name="Source">%s</ProtectedString>' % cdata(value))


def p_bool(name, value):
    return (name, '<bool name="%s">%s</bool>' % (name, "true" if value else "false"))


def p_int(name, value):
    return (name, '<int name="%s">%d</int>' % (name, value))


def p_float(name, value):
    return (name, '<float name="%s">%s</float>' % (name, fmt(value)))


def p_double(name, value):
    return (name, '<double name="%s">%s</double>' % (name, repr(float(value))))


def p_token(name, value):
    return (name, '<token name="%s">%d</token>' % (name, value))


def p_ref(name, ref):
    return (name, '<Ref name="%s">%s</Ref>' % (name, ref or "null"))


def p_content(name, url):
    inner = "<url>%s</url>" % xml_escape(url) if url else "<null></null>"
    return (name, '<Content name="%s">%s</Content>' % (name, inner))


def p_vector3(name, x, y, z):
    return (name, '<Vector3 name="%s"><X>%s</X><Y>%s</Y><Z>%s</Z></Vector3>' % (name, fmt(x), fmt(y), fmt(z)))


def p_color3(name, r, g, b):
    return (name, '<Color3 name="%s"><R>%s</R><G>%s</G><B>%s</B></Color3>' % (name, fmt(r), fmt(g), fmt(b)))


def p_color3uint8(r, g, b):
    v = 0xFF000000 | (r << 16) | (g << 8) | b
    return ("Color3uint8", '<Color3uint8 name="Color3uint8">%d</Color3uint8>' % v)


def p_udim2(name, xs, xo, ys, yo):
    return (name, '<UDim2 name="%s"><XS>%s</XS><XO>%d</XO><YS>%s</YS><YO>%d</YO></UDim2>'
            % (name, fmt(xs), xo, fmt(ys), yo))


def p_cframe(name, x, y, z, yaw):
    c, s = math.cos(yaw), math.sin(yaw)
    if abs(c) < 1e-9:
        c = 0.0
    if abs(s) < 1e-9:
        s = 0.0
    # rotation about Y: [c 0 s; 0 1 0; -s 0 c]
    rot = (c, 0.0, s, 0.0, 1.0, 0.0, -s, 0.0, c)
    parts = ["<X>%s</X><Y>%s</Y><Z>%s</Z>" % (fmt(x), fmt(y), fmt(z))]
    for i, v in enumerate(rot):
        parts.append("<R%d%d>%s</R%d%d>" % (i // 3, i % 3, fmt(v), i // 3, i % 3))
    return (name, '<CoordinateFrame name="%s">%s</CoordinateFrame>' % (name, "".join(parts)))


def p_binary(name, data, wrap=False):
    if not data:
        return (name, '<BinaryString name="%s"></BinaryString>' % name)
    b64 = base64.b64encode(data).decode("ascii")
    if wrap:  # Studio wraps long blobs at 72 columns inside CDATA
        b64 = "\n".join(b64[i:i + 72] for i in range(0, len(b64), 72))
        return (name, '<BinaryString name="%s">%s</BinaryString>' % (name, cdata(b64)))
    return (name, '<BinaryString name="%s">%s</BinaryString>' % (name, b64))


# --------------------------------------------------------------------------
# Attribute and tag encoding
# --------------------------------------------------------------------------

ATTR_STRING, ATTR_BOOL, ATTR_DOUBLE, ATTR_COLOR3, ATTR_VECTOR3 = 0x02, 0x03, 0x06, 0x0F, 0x11


def encode_attributes(attrs):
    """Roblox AttributesSerialize: u32 count, then per entry a u32-prefixed
    name, a type byte and the value (all little-endian)."""
    out = [struct.pack("<I", len(attrs))]
    for name, ty, value in attrs:
        key = name.encode("utf-8")
        out.append(struct.pack("<I", len(key)))
        out.append(key)
        out.append(bytes([ty]))
        if ty == ATTR_STRING:
            data = value.encode("utf-8")
            out.append(struct.pack("<I", len(data)))
            out.append(data)
        elif ty == ATTR_BOOL:
            out.append(b"\x01" if value else b"\x00")
        elif ty == ATTR_DOUBLE:
            out.append(struct.pack("<d", value))
        elif ty in (ATTR_COLOR3, ATTR_VECTOR3):
            out.append(struct.pack("<3f", *value))
        else:
            raise ValueError(ty)
    return b"".join(out)


def encode_tags(tags):
    return b"\x00".join(t.encode("utf-8") for t in tags)


TAG_NAMES = [
    "Interactable", "Collectible", "Damageable", "KillBrick", "SpawnPoint",
    "Checkpoint", "Door", "LightSource", "NPC", "Hitbox", "Ladder", "Water",
    "Conveyor", "Teleporter", "ShopItem", "Breakable", "Climbable", "Lava",
    "Coin", "UIButton",
]

# name -> type, plus a generator of values
ATTR_SPECS = [
    ("Health", ATTR_DOUBLE), ("MaxHealth", ATTR_DOUBLE), ("Damage", ATTR_DOUBLE),
    ("Cooldown", ATTR_DOUBLE), ("Price", ATTR_DOUBLE), ("Level", ATTR_DOUBLE),
    ("RespawnTime", ATTR_DOUBLE), ("Weight", ATTR_DOUBLE), ("SortOrder", ATTR_DOUBLE),
    ("Enabled", ATTR_BOOL), ("Locked", ATTR_BOOL), ("IsBoss", ATTR_BOOL),
    ("CanPickUp", ATTR_BOOL), ("Debug", ATTR_BOOL), ("Premium", ATTR_BOOL),
    ("DisplayName", ATTR_STRING), ("Rarity", ATTR_STRING), ("Owner", ATTR_STRING),
    ("Team", ATTR_STRING), ("ItemId", ATTR_STRING), ("Description", ATTR_STRING),
    ("SoundId", ATTR_STRING),
    ("SpawnOffset", ATTR_VECTOR3), ("Velocity", ATTR_VECTOR3), ("Extents", ATTR_VECTOR3),
    ("GlowColor", ATTR_COLOR3), ("TeamColor", ATTR_COLOR3), ("Tint", ATTR_COLOR3),
]

RARITIES = ["Common", "Uncommon", "Rare", "Epic", "Legendary", "Mythic"]
TEAMS = ["Red", "Blue", "Green", "Yellow", "Neutral"]
WORDS = ("ancient forest river stone iron golden shadow crystal ember frost storm "
         "silent broken hidden royal wild lost bright dark old").split()


def attr_value(rng, name, ty):
    if ty == ATTR_DOUBLE:
        if name in ("Level", "Price", "SortOrder"):
            return float(rng.randint(0, 5000))
        return round(rng.uniform(0, 500), 3)
    if ty == ATTR_BOOL:
        return rng.random() < 0.5
    if ty == ATTR_STRING:
        if name == "Rarity":
            return rng.choice(RARITIES)
        if name == "Team":
            return rng.choice(TEAMS)
        if name == "ItemId":
            return "item_%05d" % rng.randint(0, 99999)
        if name == "SoundId":
            return "rbxassetid://%d" % rng.randint(100000, 9999999999)
        if name == "Owner":
            return "Player%d" % rng.randint(1, 100000)
        n = 2 if name == "DisplayName" else rng.randint(3, 9)
        return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()
    if ty == ATTR_VECTOR3:
        return tuple(round(rng.uniform(-64, 64), 2) for _ in range(3))
    if ty == ATTR_COLOR3:
        return tuple(rng.randint(0, 255) / 255 for _ in range(3))
    raise ValueError(ty)


# --------------------------------------------------------------------------
# Luau source text
# --------------------------------------------------------------------------

SERVICES = ["Players", "ReplicatedStorage", "RunService", "TweenService", "HttpService",
            "DataStoreService", "CollectionService", "Debris", "UserInputService"]


def module_source(rng, name):
    uses = rng.sample(SERVICES, rng.randint(1, 4))
    lines = ["--!strict", "-- %s: generated module" % name, ""]
    for s in uses:
        lines.append('local %s = game:GetService("%s")' % (s, s))
    lines.append("")
    lines.append("local %s = {}" % name)
    lines.append("%s.__index = %s" % (name, name))
    lines.append("")
    lines.append("export type %s = typeof(setmetatable({} :: {" % name)
    fields = rng.sample(["id", "owner", "health", "speed", "value", "enabled", "items",
                         "target", "connections", "state", "cooldown", "position"],
                        rng.randint(2, 6))
    for f in fields:
        lines.append("\t%s: any," % f)
    lines.append("}, %s))" % name)
    lines.append("")
    lines.append("local DEFAULTS = {")
    for f in fields:
        lines.append("\t%s = %s," % (f, rng.choice(['0', 'nil', 'true', 'false', '{}', '"none"', str(rng.randint(1, 100))])))
    lines.append("}")
    lines.append("")
    lines.append("function %s.new(props: { [string]: any }?): %s" % (name, name))
    lines.append("\tlocal self = setmetatable({}, %s)" % name)
    lines.append("\tfor key, value in DEFAULTS do")
    lines.append("\t\tself[key] = if props and props[key] ~= nil then props[key] else value")
    lines.append("\tend")
    lines.append("\treturn self")
    lines.append("end")
    for _ in range(rng.randint(2, 9)):
        fn = rng.choice(["Update", "Reset", "Apply", "Serialize", "Load", "Save", "Step",
                         "Connect", "Destroy", "Validate", "Compute", "Refresh"]) + rng.choice(
            ["", "State", "Value", "Items", "Target", "Cache", "All"])
        arg = rng.choice(["dt: number", "value: any", "player: Player", "key: string", ""])
        lines.append("")
        lines.append("function %s:%s(%s)" % (name, fn, arg))
        for _ in range(rng.randint(2, 10)):
            f = rng.choice(fields)
            lines.append(rng.choice([
                "\tif self.%s == nil then\n\t\treturn\n\tend" % f,
                "\tself.%s = self.%s" % (f, rng.choice(fields)),
                "\tfor i, item in ipairs(self.%s or {}) do\n\t\tprint(i, item)\n\tend" % f,
                '\twarn("%s: %s changed", self.%s)' % (name, f, f),
                "\tlocal value = math.clamp(tonumber(self.%s) or 0, 0, %d)" % (f, rng.randint(10, 1000)),
                "\ttask.spawn(function()\n\t\ttask.wait(%s)\n\t\tself.%s = nil\n\tend)" % (fmt(rng.uniform(0.1, 5)), f),
            ]))
        lines.append("end")
    lines.append("")
    lines.append("return %s" % name)
    lines.append("")
    return "\n".join(lines)


def server_script_source(rng, name):
    lines = ['local Players = game:GetService("Players")',
             'local ReplicatedStorage = game:GetService("ReplicatedStorage")', ""]
    for _ in range(rng.randint(1, 4)):
        m = rng.choice(MODULE_NAMES)
        lines.append("local %s = require(ReplicatedStorage.Modules.%s)" % (m, m))
    lines.append("")
    lines.append("local function onPlayerAdded(player: Player)")
    for _ in range(rng.randint(2, 12)):
        lines.append(rng.choice([
            '\tlocal leaderstats = Instance.new("Folder")\n\tleaderstats.Name = "leaderstats"\n\tleaderstats.Parent = player',
            "\tplayer.CharacterAdded:Connect(function(character)\n\t\tprint(character.Name, \"spawned\")\n\tend)",
            '\tprint("[%s]", player.Name, "joined")' % name,
            "\tplayer:SetAttribute(\"JoinedAt\", os.time())",
            "\tif player.AccountAge < %d then\n\t\treturn\n\tend" % rng.randint(1, 30),
        ]))
    lines.append("end")
    lines.append("")
    lines.append("Players.PlayerAdded:Connect(onPlayerAdded)")
    lines.append("for _, player in Players:GetPlayers() do")
    lines.append("\ttask.spawn(onPlayerAdded, player)")
    lines.append("end")
    lines.append("")
    return "\n".join(lines)


def part_script_source(rng):
    return rng.choice([
        "local part = script.Parent\n\npart.Touched:Connect(function(hit)\n\tlocal humanoid = "
        "hit.Parent:FindFirstChildOfClass(\"Humanoid\")\n\tif humanoid then\n\t\thumanoid.Health = 0\n\tend\nend)\n",
        "local model = script.Parent\nlocal speed = %s\n\ngame:GetService(\"RunService\").Heartbeat:Connect(function(dt)\n"
        "\tmodel:PivotTo(model:GetPivot() * CFrame.Angles(0, speed * dt, 0))\nend)\n" % fmt(rng.uniform(0.1, 3)),
        "local door = script.Parent\nlocal open = false\n\ndoor.ClickDetector.MouseClick:Connect(function()\n"
        "\topen = not open\n\tdoor.Transparency = if open then 0.8 else 0\n\tdoor.CanCollide = not open\nend)\n",
        "while true do\n\tscript.Parent.Color = Color3.fromHSV(os.clock() %% 1, 1, 1)\n\ttask.wait(%s)\nend\n"
        % fmt(rng.uniform(0.05, 1)),
    ])


MODULE_NAMES = [
    "Inventory", "Combat", "Economy", "Quest", "Pet", "Trade", "Shop", "Leaderboard",
    "Settings", "Signal", "Maid", "Promise", "Util", "TableUtil", "StringUtil", "Spring",
    "Tween", "Camera", "Input", "Sound", "Effects", "Datastore", "Profile", "Network",
    "Rewards", "Weapon", "Projectile", "Hitbox", "Ability", "Buff", "Vehicle", "Door",
    "Npc", "Pathfinding", "Spawner", "Round", "Lobby", "Team", "Badge", "Analytics",
]

# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------

MATERIALS = [256, 272, 288, 512, 528, 784, 800, 816, 832, 848, 864, 880, 1040, 1056, 1088,
             1280, 1296, 1312, 1536, 1568]
MODEL_NAMES = ["Tree", "House", "Lamp", "Fence", "Rock", "Bench", "Car", "Crate", "Barrel",
               "Tower", "Bridge", "Door", "Window", "Sign", "Table", "Chair", "Bush",
               "Shop", "Well", "Statue", "Checkpoint", "Obstacle", "Platform", "Ladder"]
PART_NAMES = ["Part", "Part", "Part", "Part", "Base", "Trunk", "Leaves", "Wall", "Roof",
              "Floor", "Handle", "Frame", "Glass", "Step", "Post", "Rail", "Top", "Hitbox"]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.count = 0
        self.nodes = []  # every node, creation order
        self.parts = []  # BaseParts and Models: ObjectValue targets

    def ref(self):
        return "RBX%032X" % self.rng.getrandbits(128)

    def node(self, parent, cls, name, props=(), service=False):
        n = Node(cls, self.ref(), [p_string("Name", name)] + list(props), service)
        self.count += 1
        self.nodes.append(n)
        if parent is not None:
            parent.children.append(n)
        return n

    # ---- Workspace ------------------------------------------------------

    def part(self, parent, name, origin, mesh=False):
        r = self.rng
        sx, sy, sz = (round(r.uniform(0.2, 24), 2) for _ in range(3))
        x, y, z = (round(origin[i] + r.uniform(-20, 20), 3) for i in range(3))
        yaw = r.choice([0, 0, 0, math.pi / 2, math.pi, r.uniform(0, 2 * math.pi)])
        props = [
            p_bool("Anchored", r.random() < 0.9),
            p_cframe("CFrame", x, y, z, yaw),
            p_bool("CanCollide", r.random() < 0.85),
            p_color3uint8(r.randint(0, 255), r.randint(0, 255), r.randint(0, 255)),
            p_token("Material", r.choice(MATERIALS)),
            p_float("Transparency", r.choice([0, 0, 0, 0, 0.5, 1])),
            p_vector3("size", sx, sy, sz),
        ]
        if mesh:
            props.append(p_content("MeshId", "rbxassetid://%d" % r.randint(1000000, 9999999999)))
            props.append(p_content("TextureID", "rbxassetid://%d" % r.randint(1000000, 9999999999)))
            props.append(p_vector3("InitialSize", sx, sy, sz))
            cls = "MeshPart"
        else:
            props.append(p_token("TopSurface", 0))
            props.append(p_token("BottomSurface", 0))
            cls = "Part"
        n = self.node(parent, cls, name, props)
        self.parts.append(n)
        return n

    def decal(self, parent):
        r = self.rng
        return self.node(parent, "Decal", r.choice(["Decal", "Decal", "Texture", "Logo", "Face"]), [
            p_token("Face", r.randint(0, 5)),
            p_content("Texture", "rbxassetid://%d" % r.randint(1000000, 9999999999)),
            p_float("Transparency", r.choice([0, 0, 0.25])),
        ])

    def model(self, parent, size, origin):
        """A Model of exactly `size` instances (itself included)."""
        r = self.rng
        m = self.node(parent, "Model", r.choice(MODEL_NAMES))
        self.parts.append(m)
        left = size - 1
        want_script = left >= 2 and r.random() < 0.2
        if want_script:
            left -= 1
        parts = []
        while left > 0:
            if parts and left >= 1 and r.random() < 0.25:
                self.decal(r.choice(parts))
            else:
                mesh = r.random() < 0.2
                parts.append(self.part(m, "MeshPart" if mesh and r.random() < 0.5 else r.choice(PART_NAMES),
                                       origin, mesh))
            left -= 1
        if want_script:
            self.node(m, "Script", r.choice(["Script", "KillScript", "Spin", "DoorScript", "Rainbow"]), [
                p_bool("Disabled", False), p_token("RunContext", 0), p_source(part_script_source(r))])
        return m

    def workspace(self, ws, budget):
        r = self.rng
        # Terrain is created by the caller.
        map_ = self.node(ws, "Folder", "Map")
        budget -= 1
        zones = max(1, budget // 900)
        for zi in range(zones):
            zb = budget // zones + (1 if zi < budget % zones else 0)
            zone = self.node(map_, "Folder", "Zone%d" % (zi + 1))
            zb -= 1
            origin = (r.uniform(-2000, 2000), r.uniform(0, 200), r.uniform(-2000, 2000))
            while zb > 0:
                size = min(zb, r.randint(3, 24))
                if size == 1:
                    self.part(zone, "Part", origin)
                else:
                    self.model(zone, size, origin)
                zb -= size

    # ---- ReplicatedStorage ----------------------------------------------

    def modules(self, parent, budget):
        """Nested folders of ModuleScripts, some with child modules; exactly `budget`."""
        r = self.rng
        root = self.node(parent, "Folder", "Modules")
        budget -= 1
        groups = ["Shared", "Classes", "Controllers", "Services", "Util", "Data", "Vendor", "Components"]
        gi = 0
        while budget > 0:
            folder = self.node(root, "Folder", groups[gi % len(groups)] + ("" if gi < len(groups) else str(gi // len(groups))))
            gi += 1
            budget -= 1
            for _ in range(min(budget, r.randint(5, 40))):
                if budget <= 0:
                    break
                name = r.choice(MODULE_NAMES) + r.choice(["", "", "Service", "Controller", "Util", "Config"])
                mod = self.node(folder, "ModuleScript", name, [p_source(module_source(r, name))])
                budget -= 1
                if budget > 0 and r.random() < 0.15:
                    sub = r.choice(MODULE_NAMES) + "Types"
                    self.node(mod, "ModuleScript", sub, [p_source(module_source(r, sub))])
                    budget -= 1

    def values(self, parent, budget):
        r = self.rng
        root = self.node(parent, "Folder", "GameData")
        budget -= 1
        ci = 0
        while budget > 0:
            cat = self.node(root, "Folder", r.choice(["Items", "Pets", "Weapons", "Quests", "Zones",
                                                      "Config", "Levels", "Skins"]) + str(ci))
            ci += 1
            budget -= 1
            while budget > 0 and r.random() > 0.02:
                entry = self.node(cat, "Folder", "%s_%d" % (r.choice(WORDS).capitalize(), r.randint(1, 999)))
                budget -= 1
                for _ in range(min(budget, r.randint(2, 8))):
                    k = r.random()
                    if k < 0.45:
                        self.node(entry, "StringValue", r.choice(["DisplayName", "Description", "Rarity",
                                                                  "Category", "Icon"]),
                                  [p_string("Value", attr_value(r, "Description", ATTR_STRING))])
                    elif k < 0.85:
                        self.node(entry, "NumberValue", r.choice(["Price", "Damage", "Speed", "Weight",
                                                                  "Level", "Chance"]),
                                  [p_double("Value", round(r.uniform(0, 10000), 2))])
                    else:
                        target = r.choice(self.parts).ref if self.parts else None
                        self.node(entry, "ObjectValue", r.choice(["Target", "Model", "SpawnPart", "Link"]),
                                  [p_ref("Value", target)])
                    budget -= 1

    # ---- ServerScriptService --------------------------------------------

    def server_scripts(self, parent, budget):
        r = self.rng
        while budget > 0:
            folder = self.node(parent, "Folder", r.choice(["Systems", "Services", "Handlers", "Admin", "Events"]))
            budget -= 1
            for _ in range(min(budget, r.randint(3, 15))):
                if budget <= 0:
                    break
                name = r.choice(MODULE_NAMES) + r.choice(["Handler", "Service", "Server", ""])
                s = self.node(folder, "Script", name, [p_bool("Disabled", False), p_token("RunContext", 0),
                                                       p_source(server_script_source(r, name))])
                budget -= 1
                if budget > 0 and r.random() < 0.3:
                    self.node(s, "StringValue", "Config", [p_string("Value", '{"enabled":true}')])
                    budget -= 1

    # ---- StarterGui ------------------------------------------------------

    def gui_tree(self, parent, budget, depth):
        """Frames with TextLabels under `parent`; returns instances made (<= budget)."""
        r = self.rng
        made = 0
        while made < budget:
            if depth < 3 and budget - made >= 4 and r.random() < 0.35:
                f = self.node(parent, "Frame", r.choice(["Frame", "Container", "Row", "Panel", "Header",
                                                          "Body", "Footer"]), [
                    p_color3("BackgroundColor3", r.random(), r.random(), r.random()),
                    p_float("BackgroundTransparency", r.choice([0, 0, 0.2, 0.5, 1])),
                    p_udim2("Position", r.choice([0, 0.25, 0.5]), r.randint(0, 40),
                            r.choice([0, 0.1, 0.5]), r.randint(0, 40)),
                    p_udim2("Size", r.choice([1, 0.5, 0.25]), r.randint(-20, 0), r.choice([1, 0.1, 0.3]), 0),
                ])
                made += 1
                made += self.gui_tree(f, min(budget - made, r.randint(2, 14)), depth + 1)
            else:
                self.node(parent, "TextLabel", r.choice(["TextLabel", "Title", "Label", "Value", "Price",
                                                         "Count", "Name"]), [
                    p_string("Text", attr_value(r, "DisplayName", ATTR_STRING)),
                    p_color3("TextColor3", 1, 1, 1),
                    p_float("TextSize", r.choice([14, 18, 24, 32])),
                    p_bool("TextScaled", r.random() < 0.3),
                    p_udim2("Size", 1, 0, 0, r.choice([20, 30, 40])),
                ])
                made += 1
        return made

    def starter_gui(self, parent, budget):
        r = self.rng
        i = 0
        while budget > 0:
            sg = self.node(parent, "ScreenGui", r.choice(["MainHud", "Shop", "Inventory", "Settings",
                                                          "Quests", "Trade", "Menu", "Notifications"]) + str(i),
                           [p_bool("ResetOnSpawn", False), p_bool("Enabled", r.random() < 0.4)])
            i += 1
            budget -= 1
            if budget > 0:
                budget -= self.gui_tree(sg, min(budget, r.randint(60, 260)), 0)

    # ---- Whole place -----------------------------------------------------

    def build(self, total, terrain_bytes):
        r = self.rng
        roots = []
        ws = self.node(None, "Workspace", "Workspace", service=True)
        lighting = self.node(None, "Lighting", "Lighting", [
            p_float("Brightness", 2), p_float("ClockTime", 14.5), p_bool("GlobalShadows", True)], service=True)
        rs = self.node(None, "ReplicatedStorage", "ReplicatedStorage", service=True)
        sss = self.node(None, "ServerScriptService", "ServerScriptService", service=True)
        sg = self.node(None, "StarterGui", "StarterGui", service=True)
        roots = [ws, lighting, rs, sss, sg]

        grid = b"\x01\x05" + r.randbytes(max(0, terrain_bytes - 2))
        colors = b"\x00" * 6 + r.randbytes(63)
        terrain = self.node(ws, "Terrain", "Terrain", [
            p_binary("SmoothGrid", grid, wrap=True),
            p_binary("MaterialColors", colors, wrap=True),
            p_float("WaterTransparency", 0.3), p_float("WaterWaveSize", 0.15),
            p_color3("WaterColor", 0.05, 0.33, 0.36),
        ])
        terrain.service = True  # not an attribute/tag target

        for cls, name in [("Atmosphere", "Atmosphere"), ("Sky", "Sky"), ("BloomEffect", "Bloom"),
                          ("ColorCorrectionEffect", "ColorCorrection"), ("SunRaysEffect", "SunRays")]:
            self.node(lighting, cls, name)

        left = total - self.count
        if left < 8:
            raise SystemExit("--instances too small (need at least %d)" % (self.count + 8))
        w_ws, w_rs, w_sss = int(left * 0.62), int(left * 0.18), int(left * 0.03)
        w_sg = left - w_ws - w_rs - w_sss
        self.workspace(ws, w_ws)
        n_mod = max(1, w_rs // 9)  # ~1.1k ModuleScripts at the default size
        self.modules(rs, n_mod)
        self.values(rs, w_rs - n_mod)
        self.server_scripts(sss, w_sss)
        self.starter_gui(sg, w_sg)
        assert self.count == total, (self.count, total)
        return roots

    def decorate(self, n_attrs, n_tagged):
        r = self.rng
        eligible = [n for n in self.nodes if not n.service]
        # attributes: 1-6 per chosen instance, weighted to few
        holders = r.sample(eligible, min(len(eligible), n_attrs))
        left = n_attrs
        used = 0
        for n in holders:
            if left <= 0:
                break
            k = min(left, r.choices([1, 2, 3, 4, 5, 6], weights=[40, 25, 15, 10, 6, 4])[0])
            specs = r.sample(ATTR_SPECS, k)
            n.attrs = [(name, ty, attr_value(r, name, ty)) for name, ty in specs]
            left -= k
            used += 1
        tagged = r.sample(eligible, min(len(eligible), n_tagged))
        for n in tagged:
            k = r.choices([1, 2, 3], weights=[70, 22, 8])[0]
            n.tags = r.sample(TAG_NAMES, k)
        return n_attrs - left, used, len(tagged)


def write_place(path, roots):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        w = f.write
        w('<roblox xmlns:xmime="http://www.w3.org/2005/05/xmlmime" '
          'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
          'xsi:noNamespaceSchemaLocation="http://www.roblox.com/roblox.xsd" version="4">\n')
        w("\t<External>null</External>\n\t<External>nil</External>\n")
        stack = [(n, 1, False) for n in reversed(roots)]
        while stack:
            n, depth, closing = stack.pop()
            ind = "\t" * depth
            if closing:
                w(ind + "</Item>\n")
                continue
            props = list(n.props)
            if n.attrs:
                props.append(p_binary("AttributesSerialize", encode_attributes(n.attrs)))
            if n.tags:
                props.append(p_binary("Tags", encode_tags(n.tags)))
            props.sort(key=lambda p: p[0].lower())  # Studio writes properties sorted by name
            w('%s<Item class="%s" referent="%s">\n%s\t<Properties>\n' % (ind, n.cls, n.ref, ind))
            pi = ind + "\t\t"
            for _, text in props:
                w(pi + text + "\n")
            w(ind + "\t</Properties>\n")
            stack.append((n, depth, True))
            for c in reversed(n.children):
                stack.append((c, depth + 1, False))
        w("</roblox>\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="traits-place.rbxlx", help="output .rbxlx path")
    ap.add_argument("--seed", type=int, default=57000)
    ap.add_argument("--instances", type=int, default=57000, help="total instances, services included")
    ap.add_argument("--attributes", type=int, default=1332, help="total attributes")
    ap.add_argument("--tagged", type=int, default=16000, help="instances with at least one tag")
    ap.add_argument("--terrain-bytes", type=int, default=1 << 20, help="size of Terrain.SmoothGrid")
    args = ap.parse_args()

    t0 = time.perf_counter()
    g = Gen(args.seed)
    roots = g.build(args.instances, args.terrain_bytes)
    n_attrs, n_holders, n_tagged = g.decorate(args.attributes, args.tagged)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_place(args.out, roots)
    elapsed = time.perf_counter() - t0

    by_class = {}
    for n in g.nodes:
        by_class[n.cls] = by_class.get(n.cls, 0) + 1
    tag_uses = sum(len(n.tags) for n in g.nodes if n.tags)
    refs = sum(1 for n in g.nodes if n.cls == "ObjectValue")
    print("wrote %s (%.1f MB) in %.2fs" % (args.out, os.path.getsize(args.out) / 1e6, elapsed))
    print("instances: %d  attributes: %d on %d instances  tagged: %d (%d tag uses, %d names)  "
          "ObjectValues: %d  SmoothGrid: %d bytes"
          % (g.count, n_attrs, n_holders, n_tagged, tag_uses, len(TAG_NAMES), refs, args.terrain_bytes))
    print("classes: " + ", ".join("%s %d" % kv for kv in sorted(by_class.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()

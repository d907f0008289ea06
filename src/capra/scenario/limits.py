"""Limits of a scenario's values: the bounds validation enforces, each with its reason.

Every number and date of a scenario has bounds: what the simulator and the planner can
represent (integer widths, calendar range, memory), far beyond what any real programme
needs. Validation is the one place that refuses a value outside them, naming its key, so
that a run never ends half-way in an overflow, an out-of-memory error or a NaN. The
reasons are also listed in ``docs/scenario.md``.
"""

from __future__ import annotations

from datetime import date

#: Tolerance on the sum of shares and of litter-size probabilities.
SUM_TOLERANCE = 1e-9

#: Largest difference between the coordinates given for one place in two spots of a
#: scenario before they are reported as conflicting. [degrees] (0.01 degree is about 1 km)
SAME_PLACE_DEGREES = 0.01


#: Dates anywhere in a scenario: the years the records store accepts too
#: (``capra.store.io.YEAR_RANGE``). With :data:`MAX_HORIZON_DAYS` every simulated day falls
#: before 2201, inside the dates pandas represents (up to 2262-04-11). [date]
DATE_RANGE = (date(1900, 1, 1), date(2100, 12, 31))
#: Longest horizon, and longest planned or warm-up period: 100 years, beyond any
#: programme; the results hold one value per replicate, day and farm. [days]
MAX_HORIZON_DAYS = 36_525
#: Longest age, interval or duration in an animal's life (ages at breeding, sale or cull,
#: lactation lengths, waiting periods): 40 years, the end of the herd model's death-risk
#: table (``capra.herd.params.MAX_AGE_DAYS``); goats live well under 20 years. [days]
MAX_ANIMAL_DAYS = 40 * 365
#: Oldest age of arriving animals: 20 years, older than goats live. [months]
MAX_AGE_MONTHS = 240.0
#: Longest gestation or oestrous cycle: one year (goats: about 150 and 21 days). [days]
MAX_CYCLE_DAYS = 366
#: Longest quarantine: ten years, as the records store accepts
#: (``capra.store.io``, ``quarantine_days``). [days]
MAX_QUARANTINE_DAYS = 3650
#: Most kiddings of one doe: at most about one a year over a goat's life; the records
#: store accepts the same range (parity 0-20). [-]
MAX_PARITY = 20
#: Most breeding windows a doe may stay open before she is culled: the herd state counts
#: them in 8 bits (up to 127). [-]
MAX_FAILED_WINDOWS = 100
#: Most animals in one group of a batch: far above the largest goat farms (a few thousand
#: head). The simulator keeps about 85 bytes per animal and replicate: 100,000 head in 50
#: replicates simulated together take about 425 MB. [head]
MAX_HEAD = 100_000
#: Most places on one farm: a farm may be given an unreachable capacity to mean "no limit";
#: head counts stay far inside 32-bit integers. [head]
MAX_CAPACITY_HEAD = 10_000_000
#: Most does one buck makes pregnant in a breeding season: natural service is a few dozen,
#: artificial insemination spreads one buck's semen much further. [head]
MAX_DOES_PER_BUCK = 10_000
#: Most farms, and most batches: the herd state stores location and batch numbers in
#: 16 bits (up to 32,767, quarantine stations included). [-]
MAX_FARMS = 10_000
MAX_BATCHES = 10_000
#: Most breeding groups: the herd state stores the group number in 8 bits (up to 127). [-]
MAX_BREEDING_GROUPS = 100
#: Most milk per animal and day (Wood scale, kids' milk, dry-off threshold): more than a
#: goat gives; the same as the upper fitting bound of the Wood scale
#: (``capra.lactation.GOAT_BOUNDS``). [kg/day]
MAX_MILK_KG_PER_DAY = 15.0
#: Wood shape b: above -1 so that the lactation total is finite (``capra.lactation``), at
#: most the upper fitting bound (``capra.lactation.GOAT_BOUNDS``). [-]
WOOD_B_RANGE = (-1.0, 1.5)
#: Wood decline c: above 0 for a finite total, at most the upper fitting bound
#: (``capra.lactation.GOAT_BOUNDS``). [1/day]
WOOD_C_MAX = 0.05
#: Extended lactation: the rise per day and its cap, at most the upper fitting bounds
#: (``capra.lactation.GOAT_BOUNDS``). [1/day], [-]
MAX_REBOUND_RATE_PER_DAY = 0.05
MAX_REBOUND_RATIO = 3.0
#: Largest between-doe coefficient of variation of yield: published values are about
#: 0.2-0.3 (breed file); 2 allows any herd. [-]
MAX_ANIMAL_EFFECT_CV = 2.0
#: Largest standard deviation of the length of gestation (goats: about 2 days). [days]
MAX_GESTATION_SD_DAYS = 30.0
#: Most children of one age group at one site (a site may be a whole district). [children]
MAX_CHILDREN = 10_000_000
#: Largest serving: 2 kg, many times a child's daily ration. [g]
MAX_SERVING_G = 2000.0
#: Most raw milk per kg of product (milk powder takes about 8, hard cheese about 10). [kg/kg]
MAX_MILK_KG_PER_KG = 100.0
#: Longest shelf life, and longest ripening, of a product: ten years (powder keeps about
#: two; hard cheeses ripen for months). [days]
MAX_SHELF_LIFE_DAYS = 3650
#: Energy of 100 g of food: at most that of pure fat (9 kcal/g). [kcal/100 g]
MAX_ENERGY_KCAL_PER_100G = 900.0
#: A nutrient content per 100 g of food: at most 100 g. [g/100 g], [mg/100 g]
MAX_G_PER_100G = 100.0
MAX_MG_PER_100G = 100_000.0
#: Largest flow of milk or product per day, on a route, into or out of a plant, or to a
#: site: a million tonnes a day, beyond any dairy plant, so that an unreachable capacity
#: can stand for "no limit"; the planner's coefficients stay within what the solver takes
#: without loss of precision. [kg/day]
MAX_FLOW_KG_PER_DAY = 1e9
#: Largest stock at a plant: ten million tonnes. [kg]
MAX_STOCK_KG = 1e10
#: Longest road: half the Earth's circumference. [km]
MAX_DISTANCE_KM = 20_000.0
#: Deepest nesting of arrays and tables accepted in a TOML file (a scenario needs five);
#: the TOML parser recurses once per level. [-]
MAX_TOML_DEPTH = 20
#: Longest repeatable year planned: the planner solves it as one daily model of at most
#: this many days (``capra.planning.planner.MAX_DAILY_DAYS``). [days]
MAX_REPEATABLE_DAYS = 600
#: Largest ratio of road distance to great-circle distance: 1.2-1.4 is usual (research
#: note supply.md §4.1); 5 allows mountain roads. [-]
MAX_ROAD_FACTOR = 5.0
#: Most milk replacer powder per kid: a kid drinking 3 kg a day to 120 days takes about
#: 60 kg; beyond that it is a typing error. [kg]
MAX_POWDER_KG_PER_KID = 200.0
#: Highest price per kg of powder: far above any market, in any currency the feed library
#: uses. [/kg]
MAX_PRICE_PER_KG = 1.0e6

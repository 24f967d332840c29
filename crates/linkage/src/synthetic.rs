//! Synthetic children for tests and benchmarks: realistic UK names, dates of birth, postcodes,
//! addresses and NHS numbers, and second sightings of the same child with the errors real
//! referrals show (typing slips, nicknames, day and month swapped, a house move, a missing NHS
//! number, a changed surname). Deterministic for a seed. Nobody here is real.

use crate::record::Record;
use crate::rng::Rng;
use crate::standardise::aliases_of;

const BOYS: &[&str] = &[
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Harry",
    "Leo",
    "Muhammad",
    "Jack",
    "Charlie",
    "Oscar",
    "Jacob",
    "Henry",
    "Thomas",
    "Freddie",
    "Alfie",
    "Theo",
    "William",
    "Theodore",
    "Archie",
    "Joshua",
    "Alexander",
    "James",
    "Isaac",
    "Edward",
    "Lucas",
    "Tommy",
    "Finley",
    "Max",
    "Logan",
    "Ethan",
    "Mohammed",
    "Teddy",
    "Benjamin",
    "Arlo",
    "Joseph",
    "Sebastian",
    "Harrison",
    "Elijah",
    "Adam",
    "Daniel",
    "Samuel",
    "Louie",
    "Mason",
    "Reuben",
    "Albie",
    "Rory",
    "Jude",
    "Hugo",
    "Dylan",
    "Riley",
    "Zachary",
    "Frankie",
    "Toby",
    "Jaxon",
    "Ezra",
    "Michael",
    "Harvey",
    "Ronnie",
    "Stanley",
    "Jayden",
    "David",
    "Gabriel",
    "Carter",
    "Ryan",
    "Kai",
    "Elliot",
    "Aaron",
    "Ibrahim",
    "Yusuf",
    "Ali",
    "Omar",
    "Musa",
    "Ahmed",
    "Ayaan",
    "Kayden",
    "Tyler",
    "Callum",
    "Connor",
    "Kieran",
    "Liam",
    "Nathan",
    "Owen",
    "Patrick",
    "Robert",
    "Richard",
    "Stephen",
    "Matthew",
    "Christopher",
    "Andrew",
    "Anthony",
    "Nicholas",
    "Jonathan",
    "Peter",
    "Frederick",
    "Edward",
    "Jamie",
    "Luca",
    "Aiden",
    "Dominic",
    "Kacper",
    "Jakub",
    "Filip",
    "Mateusz",
];

const GIRLS: &[&str] = &[
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Ivy",
    "Freya",
    "Lily",
    "Florence",
    "Mia",
    "Willow",
    "Rosie",
    "Sophia",
    "Isabella",
    "Grace",
    "Daisy",
    "Sienna",
    "Poppy",
    "Elsie",
    "Emily",
    "Ella",
    "Evelyn",
    "Phoebe",
    "Sofia",
    "Evie",
    "Charlotte",
    "Harper",
    "Millie",
    "Matilda",
    "Maya",
    "Sophie",
    "Alice",
    "Emilia",
    "Isabelle",
    "Ruby",
    "Luna",
    "Maisie",
    "Aria",
    "Penelope",
    "Mila",
    "Bonnie",
    "Eva",
    "Hallie",
    "Eliza",
    "Ada",
    "Violet",
    "Esme",
    "Arabella",
    "Imogen",
    "Jessica",
    "Delilah",
    "Margot",
    "Thea",
    "Erin",
    "Robyn",
    "Aisha",
    "Maryam",
    "Fatima",
    "Zara",
    "Hafsa",
    "Khadija",
    "Amira",
    "Layla",
    "Hannah",
    "Chloe",
    "Megan",
    "Lauren",
    "Bethany",
    "Abigail",
    "Katie",
    "Catherine",
    "Elizabeth",
    "Margaret",
    "Victoria",
    "Rebecca",
    "Samantha",
    "Jennifer",
    "Stephanie",
    "Rachel",
    "Natalie",
    "Jasmine",
    "Leah",
    "Madison",
    "Kayla",
    "Paige",
    "Courtney",
    "Demi",
    "Chelsea",
    "Shannon",
    "Zuzanna",
    "Julia",
    "Maja",
    "Amelie",
    "Eleanor",
    "Caroline",
    "Josephine",
    "Alexandra",
    "Susan",
    "Abby",
    "Kate",
];

const SURNAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "Graham",
    "Pearson",
    "Ahmed",
    "Fletcher",
    "Walsh",
    "Kaur",
    "Gibson",
    "Howard",
    "Andrews",
    "Stewart",
    "Elliott",
    "Reynolds",
    "Saunders",
    "Payne",
    "Fox",
    "Ford",
    "Pearce",
    "Day",
    "Brooks",
    "West",
    "Lawrence",
    "Cole",
    "Atkinson",
    "Bradley",
    "Spencer",
    "Gill",
    "Dawson",
    "Ball",
    "Burton",
    "O'Brien",
    "Watts",
    "Rose",
    "Booth",
    "Perry",
    "Ryan",
    "Grant",
    "Wells",
    "Armstrong",
    "Francis",
    "Rees",
    "Hayes",
    "Hart",
    "Hudson",
    "Newman",
    "Barrett",
    "Webster",
    "Hunter",
    "Gregory",
    "Carr",
    "Lowe",
    "Page",
    "Marsh",
    "Riley",
    "Dunn",
    "Woods",
    "Parsons",
    "Berry",
    "Stone",
    "Reid",
    "Holland",
    "Hawkins",
    "Harding",
    "Porter",
    "Robertson",
    "Newton",
    "Oliver",
    "Reed",
    "Kennedy",
    "Williamson",
    "Bird",
    "Gardner",
    "Shah",
    "Dean",
    "Lane",
    "Cooke",
    "Bates",
    "Henderson",
    "Parry",
    "Burgess",
    "Bishop",
    "Walton",
    "Burns",
    "Nicholson",
    "Shepherd",
    "Ross",
    "Cross",
    "Long",
    "Freeman",
    "Warren",
    "Nicholls",
    "Hamilton",
    "Byrne",
    "Sutton",
    "McDonald",
    "Yates",
    "Hodgson",
    "Robson",
    "Curtis",
    "Hopkins",
    "O'Connor",
    "Harper",
    "Coleman",
    "Watkins",
    "Moss",
    "McCarthy",
    "Chambers",
    "O'Neill",
    "Griffin",
    "Sharp",
    "Hardy",
    "Wheeler",
    "Potter",
    "Osborne",
    "Johnston",
    "Gordon",
    "Doyle",
    "Wallace",
    "George",
    "Jordan",
    "Hutchinson",
    "Rahman",
    "Islam",
    "Miah",
    "Uddin",
    "Nowak",
    "Kowalski",
    "Wisniewski",
    "Okafor",
    "Adeyemi",
    "Mensah",
    "Nguyen",
    "Chen",
    "Wang",
    "Kumar",
    "Sharma",
    "Mahmood",
    "Iqbal",
    "Akhtar",
    "Mohamed",
    "Abdi",
    "Osman",
    "Popescu",
    "Kaya",
    "Yilmaz",
    "Da Silva",
    "Smith-Jones",
    "Lewis-Brown",
];

const SYLLABLES_START: &[&str] = &[
    "Ash", "Brad", "Cal", "Dal", "Earn", "Fair", "Gold", "Hal", "Ing", "Kirk", "Lang", "Mar",
    "North", "Ox", "Pem", "Rad", "Stan", "Thorn", "Under", "Wal", "Win", "Brom", "Crow", "Hath",
];
const SYLLABLES_END: &[&str] = &[
    "ley", "ton", "worth", "field", "by", "ford", "well", "wood", "stead", "more", "croft", "ham",
    "bury", "den", "low", "wick", "combe", "shaw", "ridge", "thwaite",
];

const STREETS: &[&str] = &[
    "High",
    "Church",
    "Station",
    "Victoria",
    "Park",
    "Green",
    "Manor",
    "Mill",
    "Queens",
    "Kings",
    "New",
    "School",
    "Grange",
    "Albert",
    "Springfield",
    "Windsor",
    "Chapel",
    "Orchard",
    "York",
    "Stanley",
    "Meadow",
    "Beech",
    "Oak",
    "Elm",
    "Cedar",
    "Willow",
    "Hillside",
    "Brook",
    "Forest",
    "Highfield",
    "Mount Pleasant",
    "North",
    "South",
    "West",
    "East",
    "Alexandra",
    "Lime",
    "Clarence",
    "Cromwell",
    "Nelson",
];
const STREET_TYPES: &[&str] = &[
    "Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Gardens", "Court",
    "Place", "Grove", "Terrace",
];

/// Postcode areas with a town, for plausible localities.
const AREAS: &[(&str, &str)] = &[
    ("B", "Birmingham"),
    ("M", "Manchester"),
    ("LS", "Leeds"),
    ("L", "Liverpool"),
    ("S", "Sheffield"),
    ("BS", "Bristol"),
    ("NG", "Nottingham"),
    ("LE", "Leicester"),
    ("CV", "Coventry"),
    ("BD", "Bradford"),
    ("HU", "Hull"),
    ("ST", "Stoke-on-Trent"),
    ("WV", "Wolverhampton"),
    ("PL", "Plymouth"),
    ("DE", "Derby"),
    ("SO", "Southampton"),
    ("PO", "Portsmouth"),
    ("NE", "Newcastle upon Tyne"),
    ("SR", "Sunderland"),
    ("E", "London"),
    ("N", "London"),
    ("SE", "London"),
    ("SW", "London"),
    ("NW", "London"),
    ("CR", "Croydon"),
    ("LU", "Luton"),
    ("MK", "Milton Keynes"),
    ("NR", "Norwich"),
    ("OX", "Oxford"),
    ("CB", "Cambridge"),
    ("EX", "Exeter"),
    ("BN", "Brighton"),
    ("ME", "Medway"),
    ("RG", "Reading"),
    ("BL", "Bolton"),
    ("OL", "Oldham"),
    ("WN", "Wigan"),
    ("PR", "Preston"),
    ("BB", "Blackburn"),
    ("DN", "Doncaster"),
];

/// Letters used in the last two characters of a UK postcode.
const UNIT_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

fn pick<'a>(rng: &mut Rng, list: &'a [&'a str]) -> &'a str {
    list.get(rng.below(list.len())).copied().unwrap_or_default()
}

/// Picks from a list with a long-tailed (roughly Zipf) distribution: early entries are common.
fn pick_skewed<'a>(rng: &mut Rng, list: &'a [&'a str]) -> &'a str {
    // x^1.3 puts about 1.4% of 260 surnames' draws on the first (Smith is about 1.1% in
    // England) and a long tail behind it.
    let x = rng.unit().powf(1.3);
    let i = ((list.len() as f64) * x) as usize;
    list.get(i).copied().unwrap_or_default()
}

fn surname(rng: &mut Rng) -> String {
    if rng.chance(0.75) {
        pick_skewed(rng, SURNAMES).to_owned()
    } else {
        format!("{}{}", pick(rng, SYLLABLES_START), pick(rng, SYLLABLES_END))
    }
}

/// A household: postcode, address and town.
fn household(
    rng: &mut Rng,
    area: Option<(&'static str, &'static str, u32)>,
) -> (String, String, String) {
    let (letters, town, district) = match area {
        Some(a) => a,
        None => {
            let (letters, town) = AREAS
                .get(rng.below(AREAS.len()))
                .copied()
                .unwrap_or(("B", "Birmingham"));
            (letters, town, 1 + rng.below(30) as u32)
        }
    };
    let unit: String = (0..2)
        .map(|_| {
            char::from(
                UNIT_LETTERS
                    .get(rng.below(UNIT_LETTERS.len()))
                    .copied()
                    .unwrap_or(b'A'),
            )
        })
        .collect();
    let postcode = format!("{letters}{district} {}{unit}", rng.below(10));
    let address = format!(
        "{} {} {}",
        1 + rng.below(180),
        pick(rng, STREETS),
        pick(rng, STREET_TYPES)
    );
    (postcode, address, town.to_owned())
}

/// A valid NHS number: nine digits and the modulus 11 check digit.
fn nhs_number(rng: &mut Rng) -> String {
    loop {
        let digits: Vec<u32> = (0..9)
            .map(|i| {
                if i == 0 {
                    4 + rng.below(6) as u32
                } else {
                    rng.below(10) as u32
                }
            })
            .collect();
        let sum: u32 = digits
            .iter()
            .enumerate()
            .map(|(i, d)| d * (10 - i as u32))
            .sum();
        let check = (11 - sum % 11) % 11;
        if check == 10 {
            continue;
        }
        let mut s: String = digits
            .iter()
            .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
            .collect();
        s.push(char::from_digit(check, 10).unwrap_or('0'));
        return s;
    }
}

/// `n` distinct synthetic children aged 0 to 18, with ids `child-0000000` upwards.
pub fn population(n: usize, seed: u64) -> Vec<Record> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let boy = rng.chance(0.5);
            let given = if boy {
                pick_skewed(&mut rng, BOYS)
            } else {
                pick_skewed(&mut rng, GIRLS)
            };
            let (postcode, address, town) = household(&mut rng, None);
            let year = 2007 + rng.below(19);
            let month = 1 + rng.below(12);
            let day = 1 + rng.below(28);
            Record {
                id: format!("child-{i:07}"),
                given_name: Some(given.to_owned()),
                surname: Some(surname(&mut rng)),
                dob: Some(format!("{year:04}-{month:02}-{day:02}")),
                sex: Some(if boy { "M" } else { "F" }.to_owned()),
                postcode: Some(postcode),
                address: Some(address),
                locality: Some(town),
                identifier: rng.chance(0.9).then(|| nhs_number(&mut rng)),
            }
        })
        .collect()
}

/// A typing slip: one character substituted, dropped, doubled or swapped with its neighbour.
fn typo(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 2 {
        return s.to_owned();
    }
    let i = rng.below(chars.len() - 1);
    match rng.below(4) {
        0 => {
            let letters = "abcdefghijklmnopqrstuvwxyz";
            let c = letters.chars().nth(rng.below(26)).unwrap_or('e');
            chars[i + 1] = c;
        }
        1 => {
            chars.remove(i + 1);
        }
        2 => chars.insert(i + 1, chars[i]),
        _ => chars.swap(i, i + 1),
    }
    chars.into_iter().collect()
}

/// A second record of the same child, as another agency might hold it: the same id with
/// `-seen` appended, and a few of the errors real referrals show.
pub fn sighting(child: &Record, seed: u64) -> Record {
    let mut rng = Rng::new(seed);
    let mut r = child.clone();
    r.id = format!("{}-seen", child.id);
    if let Some(given) = &child.given_name {
        let aliases = aliases_of(given);
        if !aliases.is_empty() && rng.chance(0.25) {
            let alias = aliases
                .get(rng.below(aliases.len()))
                .cloned()
                .unwrap_or_default();
            let mut cap = alias.chars();
            r.given_name = Some(
                cap.next()
                    .map(|c| c.to_uppercase().collect::<String>() + cap.as_str())
                    .unwrap_or_default(),
            );
        } else if rng.chance(0.2) {
            r.given_name = Some(typo(&mut rng, given));
        }
    }
    if let Some(s) = &child.surname {
        if rng.chance(0.05) {
            // A new surname (a parent's new partner, or double-barrelled).
            r.surname = Some(if rng.chance(0.5) {
                format!("{s}-{}", surname(&mut rng))
            } else {
                surname(&mut rng)
            });
        } else if rng.chance(0.2) {
            r.surname = Some(typo(&mut rng, s));
        }
    }
    if let Some(dob) = &child.dob {
        let parts: Vec<&str> = dob.split('-').collect();
        if let [y, m, d] = parts.as_slice() {
            let roll = rng.unit();
            r.dob = if roll < 0.08 {
                // Day and month swapped (only visible when the day is 12 or less).
                Some(format!("{y}-{d}-{m}"))
            } else if roll < 0.16 {
                Some(typo_digit(&mut rng, &format!("{y}{m}{d}")))
            } else if roll < 0.18 {
                None
            } else {
                // Written the UK way by another system.
                Some(format!("{d}/{m}/{y}"))
            };
        }
    }
    if rng.chance(0.2) {
        // Moved house: half the time nearby (same district), half anywhere.
        let area = child.postcode.as_deref().and_then(|p| {
            let outward = p.split(' ').next()?;
            let split = outward.find(|c: char| c.is_ascii_digit())?;
            let (letters, number) = outward.split_at(split);
            let (letters, town) = AREAS.iter().find(|(l, _)| *l == letters).copied()?;
            Some((letters, town, number.parse().ok()?))
        });
        let nearby = if rng.chance(0.5) { area } else { None };
        let (postcode, address, town) = household(&mut rng, nearby);
        r.postcode = Some(postcode);
        r.address = Some(address);
        r.locality = Some(town);
    } else if rng.chance(0.1) {
        r.postcode = child.postcode.as_deref().map(|p| typo(&mut rng, p));
    }
    if rng.chance(0.5) {
        // Schools and the police often have no NHS number.
        r.identifier = None;
    } else if rng.chance(0.05) {
        r.identifier = child.identifier.as_deref().map(|i| typo(&mut rng, i));
    }
    if rng.chance(0.1) {
        r.address = None;
    }
    r
}

fn typo_digit(rng: &mut Rng, digits: &str) -> String {
    let mut chars: Vec<char> = digits.chars().collect();
    if let Some(c) = chars.get_mut(rng.below(digits.len())) {
        *c = char::from_digit(rng.below(10) as u32, 10).unwrap_or('0');
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_numbers_pass_the_check_digit() {
        let mut rng = Rng::new(3);
        for _ in 0..1000 {
            let n = nhs_number(&mut rng);
            let d: Vec<u32> = n.chars().filter_map(|c| c.to_digit(10)).collect();
            assert_eq!(d.len(), 10);
            let sum: u32 = d[..9]
                .iter()
                .enumerate()
                .map(|(i, x)| x * (10 - i as u32))
                .sum();
            assert_eq!((11 - sum % 11) % 11, d[9]);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_children() {
        assert_eq!(population(50, 9), population(50, 9));
        assert_ne!(population(50, 9), population(50, 10));
        let p = population(1, 9);
        assert_eq!(sighting(&p[0], 1), sighting(&p[0], 1));
    }
}

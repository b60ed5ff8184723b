//! What the generator's steps share: ids and plates from the seeded generator, the generated
//! people and facilities, and sending a batch through the ingestion service.

use app::{
    facilities::Acceptance,
    ingest::{wire::BatchResult, Incoming, Rejected},
};
use rand::{rngs::StdRng, Rng};
use uuid::Uuid;

/// VAT included in a price of a garage in `country`: Sweden's and Norway's 25 % on top (one
/// fifth of the total), Finland's 25.5 % (since 1 September 2024), rounded to the öre/cent.
pub(super) fn vat_of(country: app::org_number::Country, amount_incl: i64) -> i64 {
    use app::org_number::Country;
    match country {
        Country::Se | Country::No => (amount_incl + 2) / 5,
        Country::Fi => (amount_incl * 255 + 1_255 / 2) / 1_255,
    }
}

pub(super) fn new_id(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

/// A plate in a current Swedish format: `ABC 123` or `ABC 12A` (the letters I, Q, V, Å, Ä, Ö
/// are not used, nor O last).
pub(super) fn plate(rng: &mut StdRng) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNOPRSTUWXYZ";
    const LAST: &[u8] = b"ABCDEFGHJKLMNPRSTUWXYZ";
    let l: String = (0..3)
        .map(|_| LETTERS[rng.gen_range(0..LETTERS.len())] as char)
        .collect();
    let d: u32 = rng.gen_range(0..100);
    if rng.gen_bool(0.3) {
        format!("{l} {d:02}{}", LAST[rng.gen_range(0..LAST.len())] as char)
    } else {
        format!("{l} {d:02}{}", rng.gen_range(0..10))
    }
}

/// A plate as `country` writes its own: Swedish as [`plate`], Finnish `ABC-123`, Norwegian
/// `AB 12345`.
pub(super) fn plate_of(country: app::org_number::Country, rng: &mut StdRng) -> String {
    use app::org_number::Country;
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNOPRSTUVXYZ";
    let letters = |rng: &mut StdRng, n: usize| -> String {
        (0..n)
            .map(|_| LETTERS[rng.gen_range(0..LETTERS.len())] as char)
            .collect()
    };
    match country {
        Country::Se => plate(rng),
        Country::Fi => {
            let l = letters(rng, 3);
            format!("{l}-{}", rng.gen_range(1..1000))
        }
        Country::No => {
            let l = letters(rng, 2);
            format!("{l} {}", rng.gen_range(10_000..100_000))
        }
    }
}

pub(super) struct DemoMember {
    pub(super) email: String,
    /// The operator's id of their app account, when they have signed in to the app.
    pub(super) app_user: Option<String>,
    pub(super) plates: Vec<String>,
    pub(super) cost_center: String,
    pub(super) home_facility: usize,
}

/// A generated session, as much of it as its month's invoice needs.
pub(super) struct InvoiceLine {
    pub(super) started_at: i64,
    pub(super) id: String,
    pub(super) description: String,
    pub(super) amount: i64,
    pub(super) vat: i64,
    pub(super) cost_center: String,
}

/// The operator's facility codes with what the generator needs of each facility.
pub(super) struct DemoFacility {
    pub(super) code: String,
    pub(super) acceptance: Acceptance,
    pub(super) has_chargers: bool,
    pub(super) hourly: i64,
    pub(super) country: app::org_number::Country,
}

/// Sends one batch through the ingestion service, as the back office would; a refused batch
/// is a bug in the generator and stops it with the service's reasons.
pub(super) async fn ingest<T>(
    what: &str,
    batch: Vec<T>,
    store: impl AsyncFnOnce(Vec<Incoming<T>>) -> Result<BatchResult, Rejected>,
) -> Result<BatchResult, Box<dyn std::error::Error>> {
    match store(batch.into_iter().map(Ok).collect()).await {
        Ok(result) => Ok(result),
        Err(Rejected::Invalid(errors)) => Err(format!(
            "the ingestion service refused the demo's {what}: {}",
            errors
                .iter()
                .take(5)
                .map(|e| format!("#{} {}: {}", e.index, e.field, e.reason))
                .collect::<Vec<_>>()
                .join("; ")
        )
        .into()),
        Err(Rejected::Db(e)) => Err(e.into()),
    }
}

/// The `source` of the demo's sessions (the back office's are `operator`).
pub(super) const DEMO_SOURCE: &str = "demo";

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn vat_is_a_fifth_of_a_swedish_or_norwegian_price_and_25_5_percent_in_finland() {
        use app::org_number::Country;
        assert_eq!(vat_of(Country::Se, 12_500), 2_500);
        assert_eq!(vat_of(Country::Se, 100), 20);
        assert_eq!(vat_of(Country::No, 12_500), 2_500);
        // 12.55 € incl. 25.5 %: 10.00 € + 2.55 € VAT.
        assert_eq!(vat_of(Country::Fi, 1_255), 255);
        // 100.00 €: 79.68 € + 20.32 € (20.318…, rounded).
        assert_eq!(vat_of(Country::Fi, 10_000), 2_032);
    }

    #[test]
    fn demo_plates_are_valid_swedish_plates() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let p = plate(&mut rng);
            assert_eq!(
                app::plate::Plate::parse(&p).map(|p| p.as_str().to_owned()),
                Some(p.clone()),
                "{p}"
            );
        }
    }
}

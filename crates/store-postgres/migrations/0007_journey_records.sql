-- The journey's structured records (strategy discussions, conferences, immediate protection,
-- assessment conclusions) ride inside the case document (cases.doc), so need no table. The
-- chronology gains the type of each entry, to filter by; entries written before it are typed
-- from their wording where it is certain, and 'other' otherwise.

ALTER TABLE chronology ADD COLUMN kind text NOT NULL DEFAULT 'other';

UPDATE chronology SET kind = 'referral' WHERE summary LIKE 'Referral received%';
UPDATE chronology SET kind = 'decision'
    WHERE summary LIKE 'Front door decision%' OR summary LIKE 'Referral screened%'
       OR summary LIKE 'Section 47 enquiries%';
UPDATE chronology SET kind = 'assessment' WHERE summary LIKE 'Child and family assessment%';
UPDATE chronology SET kind = 'meeting'
    WHERE summary LIKE 'Strategy discussion%' OR summary LIKE '%conference held%'
       OR summary LIKE 'Core group met%';
UPDATE chronology SET kind = 'plan'
    WHERE summary LIKE 'Child protection plan%' OR summary LIKE 'Child in need plan%';
UPDATE chronology SET kind = 'closure' WHERE summary LIKE 'Case closed%';
CREATE INDEX chronology_child_kind ON chronology(child_id, kind);

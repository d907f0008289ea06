"""Initial records schema: farms, sites, batches, animals, events, test days, product
batches, deliveries, children, measurements, imports and the audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('farms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('district', sa.String(length=100), nullable=True),
    sa.Column('capacity_head', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.CheckConstraint("kind IN ('farm', 'quarantine')", name=op.f('ck_farms_kind')),
    sa.CheckConstraint('capacity_head IS NULL OR capacity_head >= 0', name=op.f('ck_farms_capacity_head')),
    sa.CheckConstraint('latitude IS NULL OR (latitude >= -90 AND latitude <= 90)', name=op.f('ck_farms_latitude')),
    sa.CheckConstraint('longitude IS NULL OR (longitude >= -180 AND longitude <= 180)', name=op.f('ck_farms_longitude')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_farms')),
    sa.UniqueConstraint('name', name=op.f('uq_farms_name'))
    )
    op.create_table('imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('file', sa.String(length=500), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('user_name', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imports'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('district', sa.String(length=100), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.CheckConstraint("kind IN ('kindergarten', 'school', 'nursery', 'hospital', 'other')", name=op.f('ck_sites_kind')),
    sa.CheckConstraint('latitude IS NULL OR (latitude >= -90 AND latitude <= 90)', name=op.f('ck_sites_latitude')),
    sa.CheckConstraint('longitude IS NULL OR (longitude >= -180 AND longitude <= 180)', name=op.f('ck_sites_longitude')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('name', name=op.f('uq_sites_name'))
    )
    op.create_table('audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_name', sa.String(length=100), nullable=False),
    sa.Column('table_name', sa.String(length=30), nullable=False),
    sa.Column('row_key', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("action IN ('insert', 'update', 'delete')", name=op.f('ck_audit_action')),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('fk_audit_import_id_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit'))
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index('ix_audit_table_key', ['table_name', 'row_key'], unique=False)

    op.create_table('batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=True),
    sa.Column('certificate', sa.String(length=100), nullable=True),
    sa.Column('certificate_date', sa.Date(), nullable=True),
    sa.Column('arrival_date', sa.Date(), nullable=False),
    sa.Column('arrival_farm_id', sa.Integer(), nullable=False),
    sa.Column('quarantine_days', sa.Integer(), nullable=False),
    sa.Column('head_count', sa.Integer(), nullable=True),
    sa.CheckConstraint('head_count IS NULL OR head_count >= 0', name=op.f('ck_batches_head_count')),
    sa.CheckConstraint('quarantine_days >= 0', name=op.f('ck_batches_quarantine_days')),
    sa.ForeignKeyConstraint(['arrival_farm_id'], ['farms.id'], name=op.f('fk_batches_arrival_farm_id_farms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batches')),
    sa.UniqueConstraint('name', name=op.f('uq_batches_name'))
    )
    op.create_table('children',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('sex', sa.String(length=6), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("sex IN ('female', 'male')", name=op.f('ck_children_sex')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_children_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_children')),
    sa.UniqueConstraint('code', name=op.f('uq_children_code'))
    )
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.create_index('ix_children_site_id', ['site_id'], unique=False)

    op.create_table('product_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('product', sa.String(length=30), nullable=False),
    sa.Column('farm_id', sa.Integer(), nullable=True),
    sa.Column('plant', sa.String(length=100), nullable=True),
    sa.Column('production_date', sa.Date(), nullable=False),
    sa.Column('expiry_date', sa.Date(), nullable=False),
    sa.Column('quantity_kg', sa.Float(), nullable=False),
    sa.Column('milk_kg', sa.Float(), nullable=True),
    sa.CheckConstraint('expiry_date >= production_date', name=op.f('ck_product_batches_expiry_after_production')),
    sa.CheckConstraint('milk_kg IS NULL OR milk_kg >= 0', name=op.f('ck_product_batches_milk_kg')),
    sa.CheckConstraint('quantity_kg > 0', name=op.f('ck_product_batches_quantity_kg')),
    sa.ForeignKeyConstraint(['farm_id'], ['farms.id'], name=op.f('fk_product_batches_farm_id_farms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_batches')),
    sa.UniqueConstraint('code', name=op.f('uq_product_batches_code'))
    )
    op.create_table('animals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=50), nullable=False),
    sa.Column('sex', sa.String(length=6), nullable=False),
    sa.Column('breed', sa.String(length=50), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('birth_date_estimated', sa.Boolean(), nullable=False),
    sa.Column('dam_id', sa.Integer(), nullable=True),
    sa.Column('sire_id', sa.Integer(), nullable=True),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('farm_id', sa.Integer(), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('entry_parity', sa.Integer(), nullable=False),
    sa.Column('entry_last_parturition_date', sa.Date(), nullable=True),
    sa.Column('entry_expected_parturition_date', sa.Date(), nullable=True),
    sa.Column('entry_lactating', sa.Boolean(), nullable=False),
    sa.CheckConstraint("origin <> 'arrival' OR batch_id IS NOT NULL", name=op.f('ck_animals_arrival_batch')),
    sa.CheckConstraint("origin IN ('birth', 'arrival')", name=op.f('ck_animals_origin')),
    sa.CheckConstraint("sex IN ('female', 'male')", name=op.f('ck_animals_sex')),
    sa.CheckConstraint('birth_date IS NULL OR entry_date >= birth_date', name=op.f('ck_animals_entry_after_birth')),
    sa.CheckConstraint('dam_id IS NULL OR dam_id <> id', name=op.f('ck_animals_dam_not_self')),
    sa.CheckConstraint('entry_parity >= 0', name=op.f('ck_animals_entry_parity')),
    sa.CheckConstraint('sire_id IS NULL OR sire_id <> id', name=op.f('ck_animals_sire_not_self')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_animals_batch_id_batches')),
    sa.ForeignKeyConstraint(['dam_id'], ['animals.id'], name=op.f('fk_animals_dam_id_animals')),
    sa.ForeignKeyConstraint(['farm_id'], ['farms.id'], name=op.f('fk_animals_farm_id_farms')),
    sa.ForeignKeyConstraint(['sire_id'], ['animals.id'], name=op.f('fk_animals_sire_id_animals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_animals')),
    sa.UniqueConstraint('tag', name=op.f('uq_animals_tag'))
    )
    with op.batch_alter_table('animals', schema=None) as batch_op:
        batch_op.create_index('ix_animals_dam_id', ['dam_id'], unique=False)
        batch_op.create_index('ix_animals_farm_id', ['farm_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_batch_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('quantity_kg', sa.Float(), nullable=False),
    sa.Column('servings', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity_kg > 0', name=op.f('ck_deliveries_quantity_kg')),
    sa.CheckConstraint('servings IS NULL OR servings >= 0', name=op.f('ck_deliveries_servings')),
    sa.ForeignKeyConstraint(['product_batch_id'], ['product_batches.id'], name=op.f('fk_deliveries_product_batch_id_product_batches')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_deliveries_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('product_batch_id', 'site_id', 'date', name='uq_deliveries_batch_site_date')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_site_date', ['site_id', 'date'], unique=False)

    op.create_table('measurements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=True),
    sa.Column('height_cm', sa.Float(), nullable=True),
    sa.Column('measured', sa.String(length=1), nullable=True),
    sa.Column('muac_cm', sa.Float(), nullable=True),
    sa.Column('oedema', sa.Boolean(), nullable=False),
    sa.CheckConstraint("measured IS NULL OR measured IN ('l', 'h')", name=op.f('ck_measurements_measured')),
    sa.CheckConstraint('height_cm IS NULL OR (height_cm > 0 AND height_cm < 250)', name=op.f('ck_measurements_height_cm')),
    sa.CheckConstraint('muac_cm IS NULL OR (muac_cm > 0 AND muac_cm < 60)', name=op.f('ck_measurements_muac_cm')),
    sa.CheckConstraint('weight_kg IS NOT NULL OR height_cm IS NOT NULL OR muac_cm IS NOT NULL', name=op.f('ck_measurements_some_value')),
    sa.CheckConstraint('weight_kg IS NULL OR (weight_kg > 0 AND weight_kg < 150)', name=op.f('ck_measurements_weight_kg')),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_measurements_child_id_children')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurements')),
    sa.UniqueConstraint('child_id', 'date', name='uq_measurements_child_date')
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('animal_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('farm_id', sa.Integer(), nullable=True),
    sa.Column('from_farm_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=30), nullable=True),
    sa.Column('departure_kind', sa.String(length=20), nullable=True),
    sa.Column('litter_size', sa.Integer(), nullable=True),
    sa.Column('live_kids', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=True),
    sa.Column('sire_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.String(length=10), nullable=True),
    sa.Column('expected_parturition_date', sa.Date(), nullable=True),
    sa.Column('product', sa.String(length=100), nullable=True),
    sa.Column('withdrawal_days', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("(type = 'parturition') = (litter_size IS NOT NULL)", name=op.f('ck_events_litter_size')),
    sa.CheckConstraint("(type = 'pregnancy_check') = (result IS NOT NULL) AND (result IS NULL OR result IN ('Empty', 'Pregnant', 'Multiple', 'Unknown'))", name=op.f('ck_events_result')),
    sa.CheckConstraint("(type = 'transfer') = (from_farm_id IS NOT NULL)", name=op.f('ck_events_from_farm')),
    sa.CheckConstraint("departure_kind IS NULL OR (type = 'departure' AND departure_kind IN ('Sale', 'Slaughter', 'Export', 'Newborn', 'Other'))", name=op.f('ck_events_departure_kind')),
    sa.CheckConstraint("live_kids IS NULL OR (type = 'parturition' AND live_kids >= 0 AND live_kids <= litter_size)", name=op.f('ck_events_live_kids')),
    sa.CheckConstraint("method IS NULL OR (type = 'insemination' AND method IN ('NaturalService', 'RunWithBull', 'Insemination', 'Implantation')) OR (type = 'pregnancy_check' AND method IN ('Ecography', 'Palpation', 'Blood', 'Milk', 'Visual', 'Other'))", name=op.f('ck_events_method')),
    sa.CheckConstraint("reason IS NULL OR (type = 'death' AND reason IN ('Missing', 'Parturition', 'Disease', 'Accident', 'Consumption', 'Culled', 'Other', 'Unknown')) OR (type = 'departure' AND reason IN ('Age', 'Superfluous', 'Slaughter', 'Sale', 'Newborn', 'LegOrClaw', 'Nutrition', 'Parturition', 'Mastitis', 'Fertility', 'Health', 'Production', 'MilkingAbility', 'BadType', 'Behaviour', 'Other', 'Unknown', 'Metabolic', 'MaternalAbility', 'ReproductiveFailure', 'BreedingIndex', 'BodyCondition', 'Oral', 'Accident'))", name=op.f('ck_events_reason')),
    sa.CheckConstraint("sire_id IS NULL OR type = 'insemination'", name=op.f('ck_events_sire')),
    sa.CheckConstraint("type <> 'transfer' OR farm_id IS NOT NULL", name=op.f('ck_events_transfer_farm')),
    sa.CheckConstraint("type IN ('parturition', 'insemination', 'pregnancy_check', 'abortion', 'dry_off', 'treatment', 'transfer', 'death', 'departure')", name=op.f('ck_events_type')),
    sa.CheckConstraint("withdrawal_days IS NULL OR (type = 'treatment' AND withdrawal_days >= 0)", name=op.f('ck_events_withdrawal_days')),
    sa.CheckConstraint('from_farm_id IS NULL OR from_farm_id <> farm_id', name=op.f('ck_events_transfer_moves')),
    sa.CheckConstraint('litter_size IS NULL OR (litter_size >= 1 AND litter_size <= 8)', name=op.f('ck_events_litter_size_range')),
    sa.ForeignKeyConstraint(['animal_id'], ['animals.id'], name=op.f('fk_events_animal_id_animals')),
    sa.ForeignKeyConstraint(['farm_id'], ['farms.id'], name=op.f('fk_events_farm_id_farms')),
    sa.ForeignKeyConstraint(['from_farm_id'], ['farms.id'], name=op.f('fk_events_from_farm_id_farms')),
    sa.ForeignKeyConstraint(['sire_id'], ['animals.id'], name=op.f('fk_events_sire_id_animals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('animal_id', 'date', 'type', name='uq_events_animal_date_type')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_date_type', ['date', 'type'], unique=False)
        batch_op.create_index('ix_events_type_animal', ['type', 'animal_id', 'date'], unique=False)

    op.create_table('test_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('animal_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('milk_kg', sa.Float(), nullable=False),
    sa.Column('fat_pct', sa.Float(), nullable=True),
    sa.Column('protein_pct', sa.Float(), nullable=True),
    sa.Column('somatic_cells_k', sa.Integer(), nullable=True),
    sa.Column('milkings', sa.Integer(), nullable=True),
    sa.CheckConstraint('fat_pct IS NULL OR (fat_pct >= 0 AND fat_pct <= 20)', name=op.f('ck_test_days_fat_pct')),
    sa.CheckConstraint('milk_kg >= 0 AND milk_kg <= 20', name=op.f('ck_test_days_milk_kg')),
    sa.CheckConstraint('milkings IS NULL OR (milkings >= 1 AND milkings <= 4)', name=op.f('ck_test_days_milkings')),
    sa.CheckConstraint('protein_pct IS NULL OR (protein_pct >= 0 AND protein_pct <= 20)', name=op.f('ck_test_days_protein_pct')),
    sa.CheckConstraint('somatic_cells_k IS NULL OR somatic_cells_k >= 0', name=op.f('ck_test_days_somatic_cells')),
    sa.ForeignKeyConstraint(['animal_id'], ['animals.id'], name=op.f('fk_test_days_animal_id_animals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_days')),
    sa.UniqueConstraint('animal_id', 'date', name='uq_test_days_animal_date')
    )
    with op.batch_alter_table('test_days', schema=None) as batch_op:
        batch_op.create_index('ix_test_days_date', ['date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('test_days', schema=None) as batch_op:
        batch_op.drop_index('ix_test_days_date')

    op.drop_table('test_days')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_type_animal')
        batch_op.drop_index('ix_events_date_type')

    op.drop_table('events')
    op.drop_table('measurements')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_site_date')

    op.drop_table('deliveries')
    with op.batch_alter_table('animals', schema=None) as batch_op:
        batch_op.drop_index('ix_animals_farm_id')
        batch_op.drop_index('ix_animals_dam_id')

    op.drop_table('animals')
    op.drop_table('product_batches')
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.drop_index('ix_children_site_id')

    op.drop_table('children')
    op.drop_table('batches')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_table_key')

    op.drop_table('audit')
    op.drop_table('sites')
    op.drop_table('imports')
    op.drop_table('farms')

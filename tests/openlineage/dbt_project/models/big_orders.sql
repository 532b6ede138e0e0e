select order_id, customer, amount from {{ ref('stg_orders') }} where amount > 50
